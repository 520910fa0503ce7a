"""Fresh, migrated databases for tests: a SQLite file, or a dedicated PostgreSQL database.

PostgreSQL: one template database is migrated per test session, and every test clones it
(CREATE DATABASE ... TEMPLATE), which is fast and fully isolated. Never the development database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


class PostgresDatabases:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"lbtest_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tmpl"
        self.created: list[str] = []
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create_template(self) -> None:
        with self._admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.template}"'))
        self.created.append(self.template)
        migrate(self.url(self.template))
        # Drop the template's connections so that it can be cloned.
        from backend.core.db import session as db_session

        db_session.default_engine.cache_clear()

    def fresh(self, migrated: bool = True) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        with self._admin.connect() as c:
            if migrated:
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            else:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        with self._admin.connect() as c:
            for name in reversed(self.created):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


class SqliteDatabases:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.sqlite"

    def create_template(self) -> None:
        migrate(f"sqlite:///{self.template}")

    def fresh(self, migrated: bool = True) -> str:
        path = self.root / f"{uuid.uuid4().hex[:8]}.sqlite"
        if migrated:
            shutil.copy(self.template, path)
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        pass
