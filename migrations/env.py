"""Alembic environment: runs migrations on the connection edgerec hands over."""

from alembic import context
from sqlalchemy import Connection

from edgerec.store.engine import database_url, make_engine
from edgerec.store.schema import metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        # SQLite can roll DDL back: a killed upgrade leaves the previous version intact.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # the plain `alembic` command line, with -x db=PATH_OR_URL
    url = database_url(context.get_x_argument(as_dictionary=True).get("db"))
    with make_engine(url).connect().execution_options(edgerec_write=True) as fresh:
        run(fresh)
