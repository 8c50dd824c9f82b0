"""Quarantined rows found by their file and line, so that importing a file again keeps each
refused row once instead of adding it again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_quarantine_source_line", "quarantine", ["source", "line"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_source_line", table_name="quarantine")
