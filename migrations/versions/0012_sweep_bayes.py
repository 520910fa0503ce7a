"""Bayesian sweeps and pruning: how a sweep searches (parallel trials, random trials before TPE) and
when it prunes a trial that falls behind the median of the finished ones; a trial index once per sweep

Sweeps created before this migration keep {} in both: grid or random, no pruning. Existing sweeps hold
each trial index once (they were created in one transaction), so the unique constraint holds for them.

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweep") as batch:
        batch.add_column(sa.Column("search", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("pruning", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("model_version") as batch:
        batch.create_unique_constraint("uq_model_version_sweep_trial", ["sweep_id", "trial_index"])


def downgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.drop_constraint("uq_model_version_sweep_trial", type_="unique")
    with op.batch_alter_table("sweep") as batch:
        batch.drop_column("pruning")
        batch.drop_column("search")
