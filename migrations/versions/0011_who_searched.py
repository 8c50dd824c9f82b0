"""Who made each session's latest search, since customers can share a session id.

Without it, a recommender loaded from the store credited a shared session's search to the
session's first customer. The column is filled in from the log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("position", sa.BigInteger),
    sa.column("type", sa.String),
    sa.column("session_id", sa.String),
    sa.column("user_id", sa.String),
)
_searches = sa.table("session_searches", sa.column("session_id", sa.String), sa.column("user_id", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("session_searches") as batch:
        # Ids compare by code point on PostgreSQL too (see 0009).
        batch.add_column(
            sa.Column("user_id", sa.String(256).with_variant(sa.String(256, collation="C"), "postgresql"))
        )
    bind = op.get_bind()
    searcher: dict[str, str] = {}  # session -> who made its latest search, as the projection keeps
    logged = (
        sa.select(_events.c.session_id, _events.c.user_id)
        .where((_events.c.type == "searched") & _events.c.session_id.is_not(None))
        .order_by(_events.c.position)
        .execution_options(yield_per=10_000)  # a server-side cursor on PostgreSQL: memory stays flat
    )
    for session_id, user_id in bind.execute(logged):
        searcher[session_id] = user_id
    if searcher:
        bind.execute(
            sa.update(_searches)
            .where(_searches.c.session_id == sa.bindparam("s"))
            .values(user_id=sa.bindparam("u")),
            [{"s": s, "u": u} for s, u in searcher.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("session_searches") as batch:
        batch.drop_column("user_id")
