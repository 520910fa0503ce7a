"""population maps, latent spaces, clusters and insights

Reserved slot in the migration chain; filled in by the issue that owns it.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
