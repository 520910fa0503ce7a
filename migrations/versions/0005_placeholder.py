"""no schema change: a revision id kept as a link of the chain

This revision changes nothing. It was reserved for features planned beside it, which landed later
with migrations of their own (hyperparameter sweeps in 0007, accounts in 0009; custom datasets needed
none: they use the existing `dataset.kind`, `dataset.stats` and `sample.meta` columns). Databases are
stamped with it, so the revision stays, empty, and the chain 0004 -> 0005 -> 0006 -> 0007 is unchanged.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
