from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import backend.core.db.models  # noqa: F401  (registers every table on the metadata)
from backend.core.db.base import Base
from backend.core.db.session import make_engine
from backend.core.settings import get_settings

target_metadata = Base.metadata


def _url() -> str:
    # Tests pass an explicit URL through the Alembic config; everything else uses the settings.
    return context.config.get_main_option("sqlalchemy.url") or get_settings().db_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode for ALTER
    )


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
