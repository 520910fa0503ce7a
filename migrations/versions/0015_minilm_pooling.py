"""MiniLM versions made before `pooling` existed classified the sentence vector alone: say so.

Stored hyperparameters are full dumps of the architecture's spec, so a MiniLM row without `pooling`
was made before the field, with what `pooling="last"` builds now. The default became "layers", under
which such a row's checkpoints would no longer fit its head. Data only.

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

version = sa.table("model_version", sa.column("id", sa.Integer), sa.column("architecture", sa.String),
                   sa.column("hyperparameters", sa.JSON))
FIELD = "pooling"


def _minilm_rows() -> list[tuple[int, dict[str, object]]]:
    rows = op.get_bind().execute(sa.select(version.c.id, version.c.hyperparameters)
                                 .where(version.c.architecture == "minilm")).all()
    return [(row_id, hp) for row_id, hp in rows if isinstance(hp, dict)]


def upgrade() -> None:
    for row_id, hp in _minilm_rows():
        if FIELD not in hp:
            op.get_bind().execute(version.update().where(version.c.id == row_id)
                                  .values(hyperparameters={**hp, FIELD: "last"}))


def downgrade() -> None:
    # The release before this one forbids unknown fields, so `pooling="last"` (what it builds anyway) goes
    # again; a version made with `layers` keeps the field and cannot be trained there.
    for row_id, hp in _minilm_rows():
        if hp.get(FIELD) == "last":
            op.get_bind().execute(version.update().where(version.c.id == row_id)
                                  .values(hyperparameters={k: v for k, v in hp.items() if k != FIELD}))
