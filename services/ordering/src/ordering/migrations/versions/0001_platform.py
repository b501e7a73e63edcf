"""Platform tables: outbox, inbox, dead letters, audit log.

Revision ID: ordering_0001
Revises:
"""

from servicekit.migrations import create_platform_tables, drop_platform_tables

revision = "ordering_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()


def downgrade() -> None:
    drop_platform_tables()
