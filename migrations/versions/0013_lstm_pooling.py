"""LSTM/BiLSTM versions trained before `pooling` existed read the last layer's final states: say so.

Stored hyperparameters are full dumps of the architecture's spec, so a version row without `pooling`
was built before the field, with what `pooling="last"` builds now. The default became `last_max`,
under which such a row would rebuild another network than its checkpoints hold. Data only.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

version = sa.table("model_version", sa.column("id", sa.Integer), sa.column("architecture", sa.String),
                   sa.column("hyperparameters", sa.JSON))


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(version.c.id, version.c.hyperparameters)
                        .where(version.c.architecture.in_(["lstm", "bilstm"]))).all()
    for row_id, hp in rows:
        if isinstance(hp, dict) and "pooling" not in hp:
            bind.execute(version.update().where(version.c.id == row_id)
                         .values(hyperparameters={**hp, "pooling": "last"}))


def downgrade() -> None:
    # The release before this one forbids unknown fields, so `pooling="last"` (what it builds anyway) goes
    # again; a version trained with another pooling cannot be rebuilt there whatever this does, and stays.
    bind = op.get_bind()
    rows = bind.execute(sa.select(version.c.id, version.c.hyperparameters)
                        .where(version.c.architecture.in_(["lstm", "bilstm"]))).all()
    for row_id, hp in rows:
        if isinstance(hp, dict) and hp.get("pooling") == "last":
            bind.execute(version.update().where(version.c.id == row_id)
                         .values(hyperparameters={k: v for k, v in hp.items() if k != "pooling"}))
