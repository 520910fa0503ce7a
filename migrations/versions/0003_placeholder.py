"""sample analyses (attributions)

Reserved slot in the migration chain; filled in by the issue that owns it.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
