"""The billing service's tables (its own database; names unique across services).

Declared with SQLAlchemy Core: the billing run works on sets of rows (one
statement per batch), not on objects. ``billing_account`` keeps the recipient
copied from identity; ``billing_subscription`` keeps each contract's recorded
price and dates from ordering. Invoices and their lines are immutable once
issued — a trigger refuses changes to their amounts (migration 0002).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import metadata

_UTC = sa.DateTime(timezone=True)

billing_account = sa.Table(
    "billing_account",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("member_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("member_version", sa.Integer(), nullable=False),
    sa.Column("entity_type", sa.String(30), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("organization_name", sa.String(), nullable=False),
    sa.Column("department", sa.String(), nullable=True),
    sa.Column("postal_code", sa.String(7), nullable=False),
    sa.Column("address", sa.String(), nullable=False),
    sa.Column("payment_method", sa.String(30), nullable=False),
    sa.Column("consolidated_mailing", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
    sa.Column("updated_at", _UTC, nullable=False),
)

account_transfer = sa.Table(
    "billing_account_transfer",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("account_id", sa.Uuid(), sa.ForeignKey("billing_account.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("bank_code", sa.String(4), nullable=False),
    sa.Column("branch_code", sa.String(3), nullable=False),
    sa.Column("account_type", sa.String(20), nullable=False),
    sa.Column("masked_number", sa.String(20), nullable=False),
    sa.Column("sealed_details", sa.Text(), nullable=False),
    sa.Column("applied_at", _UTC, nullable=False),
    sa.Column("expected_completion_date", sa.Date(), nullable=False),
    sa.Column("decided_at", _UTC, nullable=True),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("reason", sa.String(), nullable=True),
)

subscription = sa.Table(
    "billing_subscription",
    metadata,
    sa.Column("contract_id", sa.Uuid(), primary_key=True),
    sa.Column("member_id", sa.Uuid(), nullable=False),
    sa.Column("service_id", sa.Uuid(), nullable=False),
    sa.Column("service_name", JSONB(), nullable=False),
    sa.Column("plan_name", JSONB(), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("monthly_fee", sa.Integer(), nullable=False),
    sa.Column("initial_fee", sa.Integer(), nullable=False),
    sa.Column("free_first_month", sa.Boolean(), nullable=False),
    sa.Column("allows_account_transfer", sa.Boolean(), nullable=False),
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    sa.Column("early_termination_fee", sa.Integer(), nullable=False),
    sa.Column("contract_version", sa.Integer(), nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
)

invoice = sa.Table(
    "invoice",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("issuer_registration_number", sa.String(14), nullable=False),
    sa.Column("member_id", sa.Uuid(), nullable=False),
    sa.Column("service_id", sa.Uuid(), nullable=False),
    sa.Column("service_name", JSONB(), nullable=False),
    sa.Column("usage_month", sa.Date(), nullable=False),
    sa.Column("usage_period_start", sa.Date(), nullable=False),
    sa.Column("usage_period_end", sa.Date(), nullable=False),
    sa.Column("issue_date", sa.Date(), nullable=False),
    sa.Column("due_date", sa.Date(), nullable=False),
    sa.Column("payment_method", sa.String(30), nullable=False),
    sa.Column("taxable_subtotal", sa.Integer(), nullable=False),
    sa.Column("non_taxable_subtotal", sa.Integer(), nullable=False),
    sa.Column("tax", sa.Integer(), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("issuer", JSONB(), nullable=False),
    sa.Column("recipient", JSONB(), nullable=False),
    sa.Column("consolidated_mailing", sa.Boolean(), nullable=False),
    sa.Column("corrects_invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("paid_amount", sa.Integer(), nullable=False),
    sa.Column("transfer_failed", sa.Boolean(), nullable=False),
    sa.Column("void_reason", sa.String(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
    sa.Column("updated_at", _UTC, nullable=False),
)

invoice_line = sa.Table(
    "invoice_line",
    metadata,
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), primary_key=True),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("contract_id", sa.Uuid(), nullable=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("plan_name", JSONB(), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("unit_price", sa.Integer(), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("taxable", sa.Boolean(), nullable=False),
    sa.Column("period_start", sa.Date(), nullable=True),
    sa.Column("period_end", sa.Date(), nullable=True),
)

invoice_payment = sa.Table(
    "invoice_payment",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("paid_on", sa.Date(), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", _UTC, nullable=False),
)

invoice_number_counter = sa.Table(
    "invoice_number_counter",
    metadata,
    sa.Column("issuer_registration_number", sa.String(14), primary_key=True),
    sa.Column("year", sa.Integer(), primary_key=True),
    sa.Column("last_sequence", sa.Integer(), nullable=False),
)

billing_run_month = sa.Table(
    "billing_run_month",
    metadata,
    sa.Column("usage_month", sa.Date(), primary_key=True),
    sa.Column("completed_at", _UTC, nullable=False),
    sa.Column("invoices_issued", sa.Integer(), nullable=False),
)


def plain_uuid(value: uuid.UUID) -> uuid.UUID:
    """asyncpg's UUID subclass as a plain ``uuid.UUID``: servicekit's cursors encode
    values by their exact type."""
    return uuid.UUID(int=value.int)
