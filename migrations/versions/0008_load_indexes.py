"""indexes for the samples page under load; worker heartbeats for readiness

The samples page sorts a (version, epoch) by loss or p_positive and breaks ties on sample_id, so both
orders, deep offsets included, are served by index-only scans; sample detail reads one sample's
results at every epoch through (sample_id, version_id, epoch). `worker_beat` lets /api/ready tell
whether any worker is alive on every broker (see backend.core.db.models.job.WorkerBeat).

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sample_result_version_epoch_loss", table_name="sample_result")
    op.create_index("ix_sample_result_version_epoch_loss_sample", "sample_result",
                    ["version_id", "epoch", "loss", "sample_id"])
    op.create_index("ix_sample_result_version_epoch_ppos_sample", "sample_result",
                    ["version_id", "epoch", "p_positive", "sample_id"])
    op.create_index("ix_sample_result_sample_version_epoch", "sample_result", ["sample_id", "version_id", "epoch"])
    op.create_table(
        "worker_beat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_worker_beat_seen_at", "worker_beat", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_beat_seen_at", table_name="worker_beat")
    op.drop_table("worker_beat")
    op.drop_index("ix_sample_result_sample_version_epoch", table_name="sample_result")
    op.drop_index("ix_sample_result_version_epoch_ppos_sample", table_name="sample_result")
    op.drop_index("ix_sample_result_version_epoch_loss_sample", table_name="sample_result")
    op.create_index("ix_sample_result_version_epoch_loss", "sample_result", ["version_id", "epoch", "loss"])
