"""Notification tables: member contacts, deliveries, notices, inquiries and answers.

Revision ID: notification_0002
Revises: notification_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "notification_0002"
down_revision = "notification_0001"
branch_labels = None
depends_on = None


def _at(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "member_contact",
        sa.Column("member_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("aggregate_version", sa.Integer, nullable=False),
        _at("updated_at"),
    )
    op.create_table(
        "delivery",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("member_id", UUID(as_uuid=True), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        _at("next_attempt_at"),
        _at("created_at"),
        _at("sent_at", nullable=True),
        sa.UniqueConstraint("event_id", "template", name="uq_delivery_event_id"),
    )
    op.create_index("ix_delivery_member_id", "delivery", ["member_id"])
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "notice",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("title_ja", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("body_ja", sa.Text, nullable=False),
        sa.Column("body_en", sa.Text, nullable=False),
        _at("publish_at"),
        _at("starts_at", nullable=True),
        _at("ends_at", nullable=True),
        sa.Column("functions", JSONB, nullable=False),
        _at("withdrawn_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
    )
    op.create_table(
        "inquiry",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("member_id", UUID(as_uuid=True), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("order_id", UUID(as_uuid=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("aggregate_version", sa.Integer, nullable=False),
        _at("created_at"),
        _at("closed_at", nullable=True),
    )
    op.create_index("ix_inquiry_member_created", "inquiry", ["member_id", "created_at"])
    op.create_index("ix_inquiry_status", "inquiry", ["status"])
    op.create_table(
        "inquiry_answer",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "inquiry_id",
            UUID(as_uuid=True),
            sa.ForeignKey("inquiry.id", name="fk_inquiry_answer_inquiry_id_inquiry"),
            nullable=False,
        ),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("answered_by", sa.String(200), nullable=False),
        _at("answered_at"),
    )
    op.create_index("ix_inquiry_answer_inquiry_id", "inquiry_answer", ["inquiry_id"])


def downgrade() -> None:
    op.drop_table("inquiry_answer")
    op.drop_table("inquiry")
    op.drop_table("notice")
    op.drop_table("delivery")
    op.drop_table("member_contact")
