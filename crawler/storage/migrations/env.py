"""Alembic environment: runs on the connection Marsad hands over, or on the configured URL."""

from alembic import context
from sqlalchemy import create_engine

from crawler.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    # FTS5 keeps internal shadow tables that autogenerate must not try to drop.
    return not (type_ == "table" and name and name.startswith("articles_fts"))


def _configure(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url", ""))
    with engine.begin() as conn:
        _configure(conn)
        context.run_migrations()
