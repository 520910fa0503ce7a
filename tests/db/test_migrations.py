"""Every migration goes up and down, step by step, on SQLite and PostgreSQL; the models match the schema."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import backend.core.db.models  # noqa: F401  (registers every table)
from backend.core.db.base import Base
from backend.core.db.session import make_engine
from tests.support.databases import PostgresDatabases, SqliteDatabases, alembic_config, downgrade, migrate

Schema = dict[str, Any]


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest) -> str:
    """An empty database, never migrated."""
    dbs: SqliteDatabases | PostgresDatabases = request.getfixturevalue(f"{request.param}_dbs")
    return dbs.fresh(migrated=False)


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    ordered = [r.revision for r in script.walk_revisions("base", "heads")]
    assert len(script.get_heads()) == 1, f"the migration chain has several heads: {script.get_heads()}"
    return list(reversed(ordered))


def schema(url: str) -> Schema:
    """Tables with their columns, indexes, unique constraints and foreign keys (alembic's own table left out)."""
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        out: Schema = {}
        for table in sorted(insp.get_table_names()):
            if table == "alembic_version":
                continue
            out[table] = {
                "columns": sorted((c["name"], type(c["type"]).__name__, c["nullable"])
                                  for c in insp.get_columns(table)),
                "pk": sorted(insp.get_pk_constraint(table)["constrained_columns"]),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in insp.get_indexes(table)),
                "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
                "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                              for f in insp.get_foreign_keys(table)),
            }
        return out
    finally:
        engine.dispose()


def test_chain_is_linear_from_the_foundation() -> None:
    revs = revisions()
    assert revs[0] == "0001"
    assert revs == sorted(revs), revs


def test_every_migration_up_and_down_step_by_step(blank_url: str) -> None:
    revs = revisions()
    snapshots: dict[str, Schema] = {"base": schema(blank_url)}
    assert snapshots["base"] == {}
    for rev in revs:
        migrate(blank_url, rev)
        snapshots[rev] = schema(blank_url)
    assert snapshots[revs[-1]], "head has no tables"
    for rev, below in zip(reversed(revs), list(reversed(["base", *revs[:-1]])), strict=True):
        downgrade(blank_url, below)
        assert schema(blank_url) == snapshots[below], f"downgrade of {rev} did not restore the schema of {below}"
        # ...and up again: a downgrade must leave a state the upgrade accepts.
        migrate(blank_url, rev)
        assert schema(blank_url) == snapshots[rev], f"re-applying {rev} gave another schema"
        downgrade(blank_url, below)


def test_models_match_the_migrated_schema(blank_url: str) -> None:
    migrate(blank_url)
    engine = make_engine(blank_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree (write a migration):\n{diff}"


def _version_rows_through(url: str, below: str, rev: str,
                          before: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Version rows (architecture -> hyperparameters) written at `below`, as `rev` leaves them, then as its
    downgrade leaves them."""
    from sqlalchemy import select

    from backend.core.db.models import Dataset, ModelVersion, Project
    from backend.core.db.session import make_session_factory

    def rows() -> dict[str, Any]:
        with make_session_factory(engine)() as session:
            return {a: hp for a, hp in session.execute(select(ModelVersion.architecture,
                                                               ModelVersion.hyperparameters))}

    migrate(url, below)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            project = Project(name="p")
            session.add(project)
            session.flush()
            dataset = Dataset(project_id=project.id, name="d")
            session.add(dataset)
            session.flush()
            for arch, hp in before.items():
                session.add(ModelVersion(project_id=project.id, dataset_id=dataset.id, name=arch, architecture=arch,
                                         hyperparameters=hp, seed=0, status="created", data_fixes={}, graph={}))
            session.commit()
        migrate(url, rev)
        after = rows()
        downgrade(url, below)
        return after, rows()
    finally:
        engine.dispose()


def test_0013_says_which_pooling_older_lstm_versions_were_built_with(blank_url: str) -> None:
    before = {"lstm": {"hidden_size": 150}, "bilstm": {"hidden_size": 150, "pooling": "max"},
              "cnn": {"num_filters": 128}}
    after, back = _version_rows_through(blank_url, "0012", "0013", before)
    assert after == {"lstm": {"hidden_size": 150, "pooling": "last"},
                     "bilstm": {"hidden_size": 150, "pooling": "max"},  # stated already: kept
                     "cnn": {"num_filters": 128}}
    assert back == before


def test_0014_says_older_lstm_versions_started_from_random_vectors(blank_url: str) -> None:
    before = {"lstm": {"hidden_size": 150, "pooling": "last"},
              "bilstm": {"hidden_size": 150, "pooling": "max", "fitted_vectors": True},
              "cnn": {"num_filters": 128}}
    after, back = _version_rows_through(blank_url, "0013", "0014", before)
    assert after == {"lstm": {"hidden_size": 150, "pooling": "last", "fitted_vectors": False},
                     "bilstm": {"hidden_size": 150, "pooling": "max", "fitted_vectors": True},  # stated: kept
                     "cnn": {"num_filters": 128}}
    assert back == before


def test_0015_says_older_minilm_versions_classified_the_sentence_vector(blank_url: str) -> None:
    before = {"minilm": {"head_hidden": 128, "max_tokens": 256},
              "lstm": {"hidden_size": 150, "pooling": "max", "fitted_vectors": True},
              "cnn": {"num_filters": 128}}
    after, back = _version_rows_through(blank_url, "0014", "0015", before)
    assert after == {"minilm": {"head_hidden": 128, "max_tokens": 256, "pooling": "last"},
                     "lstm": {"hidden_size": 150, "pooling": "max", "fitted_vectors": True},  # not MiniLM: kept
                     "cnn": {"num_filters": 128}}
    assert back == before
