"""Identity documents of sole proprietors (R12) and withdrawal requests (R11).

Revision ID: identity_0003
Revises: identity_0002
"""

from alembic import op
from sqlmodel import SQLModel

from identity.adapters.tables import DOCUMENT_TABLES

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for model in DOCUMENT_TABLES:
        SQLModel.metadata.tables[model.__tablename__].create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for model in reversed(DOCUMENT_TABLES):
        SQLModel.metadata.tables[model.__tablename__].drop(bind)
