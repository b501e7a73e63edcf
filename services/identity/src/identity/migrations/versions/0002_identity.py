"""Identity tables: members, signing keys, one-time tokens, refresh tokens.

Revision ID: identity_0002
Revises: identity_0001
"""

from alembic import op
from sqlmodel import SQLModel

from identity.adapters.tables import IDENTITY_TABLES

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for model in IDENTITY_TABLES:
        SQLModel.metadata.tables[model.__tablename__].create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for model in reversed(IDENTITY_TABLES):
        SQLModel.metadata.tables[model.__tablename__].drop(bind)
