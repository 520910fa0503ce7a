"""suspect suggestions: each ranked sample's most likely other class and its probability

Two classes left nothing to suggest (the other class is the only one); with three or more the reviewer
needs to know which class the sample most likely belongs to, and the cleaned export can relabel to it.
Rankings stored before this migration keep NULL there (their datasets had two classes).

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suspect_score") as batch:
        batch.add_column(sa.Column("suggested_label", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("p_suggested", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suspect_score") as batch:
        batch.drop_column("p_suggested")
        batch.drop_column("suggested_label")
