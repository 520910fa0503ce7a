"""no schema change: a revision id kept as a link of the chain

Like 0005, reserved for features that landed later in their own migrations (accounts in 0009); it
changes nothing, and stays so that databases stamped with it upgrade along the unchanged chain.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
