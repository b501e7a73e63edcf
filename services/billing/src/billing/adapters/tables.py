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
    # The member's name kana from identity, and its payer key (R36, migration 0007).
    sa.Column("name_kana", sa.String(), nullable=True),
    sa.Column("payer_key", sa.String(), nullable=True),
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
    sa.Column("monthly_fee", sa.BigInteger(), nullable=False),
    sa.Column("initial_fee", sa.BigInteger(), nullable=False),
    sa.Column("free_first_month", sa.Boolean(), nullable=False),
    sa.Column("allows_account_transfer", sa.Boolean(), nullable=False),
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    sa.Column("early_termination_fee", sa.BigInteger(), nullable=False),
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
    sa.Column("taxable_subtotal", sa.BigInteger(), nullable=False),
    sa.Column("non_taxable_subtotal", sa.BigInteger(), nullable=False),
    sa.Column("tax", sa.BigInteger(), nullable=False),
    sa.Column("total", sa.BigInteger(), nullable=False),
    sa.Column("issuer", JSONB(), nullable=False),
    sa.Column("recipient", JSONB(), nullable=False),
    sa.Column("consolidated_mailing", sa.Boolean(), nullable=False),
    sa.Column("corrects_invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("paid_amount", sa.BigInteger(), nullable=False),
    sa.Column("transfer_failed", sa.Boolean(), nullable=False),
    sa.Column("void_reason", sa.String(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
    sa.Column("updated_at", _UTC, nullable=False),
    # 0: the month's invoice; 1, 2, …: its supplementary invoices (R37, migration 0005).
    sa.Column("supplement_no", sa.Integer(), nullable=False, server_default="0"),
    # The new due date once an account-transfer debit failed (R35, migration 0006).
    sa.Column("fallback_due_date", sa.Date(), nullable=True),
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
    sa.Column("unit_price", sa.BigInteger(), nullable=False),
    sa.Column("amount", sa.BigInteger(), nullable=False),
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
    sa.Column("amount", sa.BigInteger(), nullable=False),
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


#: Which contract was billed for which usage month, on which invoice (None: it owed
#: nothing) — what the billing run reads to find charges not billed yet (R37).
billing_contract_month = sa.Table(
    "billing_contract_month",
    metadata,
    sa.Column("contract_id", sa.Uuid(), primary_key=True),
    sa.Column("usage_month", sa.Date(), primary_key=True),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), nullable=True),
    sa.Column("billed_at", _UTC, nullable=False),
)

#: A billing run ops or the scheduler asked for: the worker's queue and its progress (R39).
billing_run = sa.Table(
    "billing_run",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("usage_month", sa.Date(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("requested_at", _UTC, nullable=False),
    sa.Column("started_at", _UTC, nullable=True),
    sa.Column("finished_at", _UTC, nullable=True),
    sa.Column("issue_date", sa.Date(), nullable=True),
    sa.Column("contracts_total", sa.Integer(), nullable=False),
    sa.Column("contracts_done", sa.Integer(), nullable=False),
    sa.Column("invoices_issued", sa.Integer(), nullable=False),
    sa.Column("supplementary_issued", sa.Integer(), nullable=False),
    sa.Column("contracts_waiting_for_account", sa.Integer(), nullable=False),
    sa.Column("failed_groups", JSONB(), nullable=False),
    sa.Column("error", sa.String(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
)

#: An uploaded bank statement (入金明細) file (R36, migration 0007).
bank_statement = sa.Table(
    "bank_statement",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("file_name", sa.String(255), nullable=True),
    sa.Column("file_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("encoding", sa.String(20), nullable=False),
    sa.Column("imported_by", sa.String(200), nullable=False),
    sa.Column("imported_at", _UTC, nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)

#: A statement's credit lines and their outcomes; ``line_key`` is unique among the
#: lines that are not duplicates of an earlier import's (R36, migration 0007).
bank_statement_line = sa.Table(
    "bank_statement_line",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("statement_id", sa.Uuid(), sa.ForeignKey("bank_statement.id"), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("file_line", sa.Integer(), nullable=False),
    sa.Column("line_key", sa.String(64), nullable=False),
    sa.Column("value_date", sa.Date(), nullable=False),
    sa.Column("amount", sa.BigInteger(), nullable=False),
    sa.Column("payer_kana", sa.String(), nullable=False),
    sa.Column("reference", sa.String(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("method", sa.String(20), nullable=True),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), nullable=True),
    sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("invoice_payment.id"), nullable=True),
    sa.Column("settlement", sa.String(20), nullable=True),
    sa.Column("overpaid_amount", sa.BigInteger(), nullable=False),
    sa.Column("candidate_invoice_ids", JSONB(), nullable=False),
    sa.Column("duplicate_of", sa.Uuid(), nullable=True),
    sa.Column("matched_by", sa.String(200), nullable=True),
    sa.Column("matched_at", _UTC, nullable=True),
)

#: An account-transfer debit batch: one per collection date (R35, migration 0006).
collection_batch = sa.Table(
    "collection_batch",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("collection_date", sa.Date(), nullable=False, unique=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("debit_count", sa.Integer(), nullable=False),
    sa.Column("total", sa.BigInteger(), nullable=False),
    sa.Column("built_at", _UTC, nullable=False),
    sa.Column("built_by", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", _UTC, nullable=False),
)

#: One invoice to debit in a batch, and the bank's result for it (R35).
collection_debit = sa.Table(
    "collection_debit",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("batch_id", sa.Uuid(), sa.ForeignKey("collection_batch.id"), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoice.id"), nullable=False, unique=True),
    sa.Column("member_id", sa.Uuid(), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("amount", sa.BigInteger(), nullable=False),
    sa.Column("transfer_id", sa.Uuid(), nullable=False),
    sa.Column("bank_code", sa.String(4), nullable=False),
    sa.Column("branch_code", sa.String(3), nullable=False),
    sa.Column("account_type", sa.String(20), nullable=False),
    sa.Column("masked_number", sa.String(20), nullable=False),
    sa.Column("customer_number", sa.String(20), nullable=False),
    sa.Column("result_code", sa.String(1), nullable=True),
    sa.Column("result_at", _UTC, nullable=True),
    sa.Column("new_due_date", sa.Date(), nullable=True),
)


def plain_uuid(value: uuid.UUID) -> uuid.UUID:
    """asyncpg's UUID subclass as a plain ``uuid.UUID``: servicekit's cursors encode
    values by their exact type."""
    return uuid.UUID(int=value.int)
