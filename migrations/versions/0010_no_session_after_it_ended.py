"""A customer whose latest event ended their session has no current session.

After a `session_ended`, the customer's next event without a session id starts a new session,
and the users read model holds no current session for them. Rows written before that rule kept
the ended session as current (and a sessionless event went on in it). They are corrected from
the log, so that they equal what a rebuild gives.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("position", sa.BigInteger),
    sa.column("type", sa.String),
    sa.column("occurred_at", sa.BigInteger),
    sa.column("user_id", sa.String),
)
_users = sa.table("users", sa.column("user_id", sa.String), sa.column("last_session_id", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    latest: dict[str, tuple[int, bool]] = {}  # user -> (time, whether it ended the session)
    logged = (
        sa.select(_events.c.user_id, _events.c.occurred_at, _events.c.type)
        .where(_events.c.user_id.is_not(None))
        .order_by(_events.c.position)
        .execution_options(yield_per=10_000)  # a server-side cursor on PostgreSQL: memory stays flat
    )
    for user, at, kind in bind.execute(logged):
        known = latest.get(user)
        if known is None or at >= known[0]:  # by time; of two at one time, the later recorded
            latest[user] = (at, kind == "session_ended")
    ended = [{"u": user} for user, (_, ended) in latest.items() if ended]
    if ended:
        bind.execute(
            sa.update(_users).where(_users.c.user_id == sa.bindparam("u")).values(last_session_id=None), ended
        )


def downgrade() -> None:
    pass  # the rows stay correct under the older code too: it only read them
