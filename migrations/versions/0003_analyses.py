"""sample analyses (attributions)

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("prediction", sa.SmallInteger(), nullable=False),
        sa.Column("p_positive", sa.Float(), nullable=False),
        sa.Column("comprehensiveness", sa.Float(), nullable=False),
        sa.Column("sufficiency", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sample_id"], ["sample.id"], name=op.f("fk_analysis_sample_id_sample"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["model_version.id"],
                                name=op.f("fk_analysis_version_id_model_version"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_analysis_cache_key")),
    )
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analysis_sample_id"), ["sample_id"], unique=False)
        batch_op.create_index("ix_analysis_version_epoch_sample", ["version_id", "epoch", "sample_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_version_epoch_sample")
        batch_op.drop_index(batch_op.f("ix_analysis_sample_id"))
    op.drop_table("analysis")
