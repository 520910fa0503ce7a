"""LSTM/BiLSTM versions made before `fitted_vectors` existed started from random word vectors: say so.

Stored hyperparameters are full dumps of the architecture's spec, so a version row without
`fitted_vectors` was made before the field, with what `fitted_vectors=false` builds now. The default
became true, under which such a row, trained again or from the start, would start from other vectors
than the user chose. Data only.

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

version = sa.table("model_version", sa.column("id", sa.Integer), sa.column("architecture", sa.String),
                   sa.column("hyperparameters", sa.JSON))
FIELD = "fitted_vectors"


def _lstm_rows() -> list[tuple[int, dict[str, object]]]:
    rows = op.get_bind().execute(sa.select(version.c.id, version.c.hyperparameters)
                                 .where(version.c.architecture.in_(["lstm", "bilstm"]))).all()
    return [(row_id, hp) for row_id, hp in rows if isinstance(hp, dict)]


def upgrade() -> None:
    for row_id, hp in _lstm_rows():
        if FIELD not in hp:
            op.get_bind().execute(version.update().where(version.c.id == row_id)
                                  .values(hyperparameters={**hp, FIELD: False}))


def downgrade() -> None:
    # The release before this one forbids unknown fields, so `fitted_vectors=false` (what it builds anyway)
    # goes again; a version made with fitted vectors keeps the field and cannot be trained there.
    for row_id, hp in _lstm_rows():
        if hp.get(FIELD) is False:
            op.get_bind().execute(version.update().where(version.c.id == row_id)
                                  .values(hyperparameters={k: v for k, v in hp.items() if k != FIELD}))
