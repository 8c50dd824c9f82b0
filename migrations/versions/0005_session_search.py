"""Each session's latest search, so that a restarted recommender still knows what was searched.

The table is filled in from the searches already in the log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("position", sa.Integer),
    sa.column("type", sa.String),
    sa.column("occurred_at", sa.BigInteger),
    sa.column("session_id", sa.String),
    sa.column("payload", sa.JSON),
)


def upgrade() -> None:
    searches = op.create_table(
        "session_searches",
        sa.Column("session_id", sa.String(256), primary_key=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("searched_at", sa.BigInteger, nullable=False),
    )
    latest: dict[str, dict[str, object]] = {}
    logged = (
        sa.select(_events.c.session_id, _events.c.occurred_at, _events.c.payload)
        .where((_events.c.type == "searched") & _events.c.session_id.is_not(None))
        .order_by(_events.c.position)
    )
    for session_id, at, payload in op.get_bind().execute(logged):
        query = (payload or {}).get("query", "")
        latest[session_id] = {"session_id": session_id, "query": query, "searched_at": at}
    if latest:
        op.bulk_insert(searches, list(latest.values()))


def downgrade() -> None:
    op.drop_table("session_searches")
