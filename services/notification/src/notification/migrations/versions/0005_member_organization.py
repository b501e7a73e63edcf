"""The member's organization in notification's copy of the member (R30): ops lists of
inquiries name the organization and the person. Null until identity's next member event
(verification or a profile change) brings it.

Revision ID: notification_0005
Revises: notification_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "notification_0005"
down_revision = "notification_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("member_contact", sa.Column("organization_name", sa.String(200)))


def downgrade() -> None:
    op.drop_column("member_contact", "organization_name")
