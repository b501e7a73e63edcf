"""Inquiry threads (the member's replies, R26), files mailed with a delivery (the invoice
PDF of a withdrawn member, R41) and the copy of who placed each order (an inquiry's
``order_id`` must be the asker's, R19).

Revision ID: notification_0004
Revises: notification_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "notification_0004"
down_revision = "notification_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "inquiry_answer",
        sa.Column("author", sa.String(10), nullable=False, server_default="ops"),
    )
    op.add_column(
        "delivery",
        sa.Column("has_attachments", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "delivery_attachment",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "delivery_id",
            UUID(as_uuid=True),
            sa.ForeignKey("delivery.id", name="fk_delivery_attachment_delivery_id_delivery"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_delivery_attachment_delivery_id", "delivery_attachment", ["delivery_id"])
    op.create_table(
        "member_order",
        sa.Column("order_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_member_order_member_id", "member_order", ["member_id"])


def downgrade() -> None:
    op.drop_table("member_order")
    op.drop_table("delivery_attachment")
    op.drop_column("delivery", "has_attachments")
    op.drop_column("inquiry_answer", "author")
