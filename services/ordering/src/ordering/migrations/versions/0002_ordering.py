"""Ordering tables: catalog and member copies, orders, idempotency keys, contracts, notices.

Revision ID: ordering_0002
Revises: ordering_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "ordering_0002"
down_revision = "ordering_0001"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ordering_catalog_copy",
        sa.Column("service_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("snapshot", JSONB(), nullable=False),
        sa.Column("received_at", _UTC, nullable=False),
    )
    op.create_table(
        "ordering_catalog_current",
        sa.Column("service_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "member_copy",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(30), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "member_document",
        sa.Column("document_id", sa.Uuid(), primary_key=True),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reviewed_at", _UTC, nullable=False),
    )
    op.create_index("ix_member_document_member_id", "member_document", ["member_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("service_version", sa.Integer(), nullable=False),
        sa.Column("service_name", JSONB(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("plan_version_id", sa.Uuid(), nullable=False),
        sa.Column("plan_name", JSONB(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("options", JSONB(), nullable=False),
        sa.Column("desired_start_date", sa.Date(), nullable=False),
        sa.Column("planned_start_date", sa.Date(), nullable=False),
        sa.Column("terms", JSONB(), nullable=False),
        sa.Column("notice_business_days_before", sa.Integer(), nullable=True),
        sa.Column("withdrawal_requires_contracts_ended", sa.Boolean(), nullable=False),
        sa.Column("inquiry_reference", sa.String(40), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("held_from", sa.String(30), nullable=True),
        sa.Column("status_history", JSONB(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.UniqueConstraint("inquiry_reference", name="uq_orders_inquiry_reference"),
    )
    op.create_index("ix_orders_member_created", "orders", ["member_id", "created_at", "id"])
    op.create_index("ix_orders_status_created", "orders", ["status", "created_at", "id"])
    op.create_table(
        "order_request_key",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("service_name", JSONB(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("plan_name", JSONB(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("planned_start_date", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("terms", JSONB(), nullable=False),
        sa.Column("withdrawal_requires_contracts_ended", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("early_termination_fee", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", _UTC, nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.UniqueConstraint("order_id", name="uq_contracts_order_id"),
    )
    op.create_index("ix_contracts_member_created", "contracts", ["member_id", "created_at", "id"])
    op.create_table(
        "activation_notice_issued",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("issued_at", _UTC, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "activation_notice_issued",
        "contracts",
        "order_request_key",
        "orders",
        "member_document",
        "member_copy",
        "ordering_catalog_current",
        "ordering_catalog_copy",
    ):
        op.drop_table(table)
