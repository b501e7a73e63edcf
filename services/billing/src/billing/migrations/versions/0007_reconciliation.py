"""Deposit reconciliation (R36): the member's name kana and payer key on the billing
account (indexed: matching by amount and kana looks it up), bank statement imports
and their lines. A line's ``line_key`` (content hash and occurrence) is unique among
the lines that are not duplicates, so no credit is imported twice.

Revision ID: billing_0007
Revises: billing_0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "billing_0007"
down_revision = "billing_0006"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("billing_account", sa.Column("name_kana", sa.String(), nullable=True))
    op.add_column("billing_account", sa.Column("payer_key", sa.String(), nullable=True))
    op.create_index(
        "ix_billing_account_payer_key",
        "billing_account",
        ["payer_key"],
        postgresql_where=sa.text("payer_key IS NOT NULL"),
    )
    op.create_table(
        "bank_statement",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("encoding", sa.String(20), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("imported_at", _UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_bank_statement_imported", "bank_statement", [sa.text("imported_at DESC"), "id"]
    )
    op.create_table(
        "bank_statement_line",
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
        sa.UniqueConstraint("statement_id", "position"),
        sa.CheckConstraint(
            "status IN ('matched', 'unmatched', 'ambiguous', 'duplicate')",
            name="ck_bank_statement_line_status",
        ),
    )
    op.create_index(
        "ux_bank_statement_line_key",
        "bank_statement_line",
        ["line_key"],
        unique=True,
        postgresql_where=sa.text("status <> 'duplicate'"),
    )


def downgrade() -> None:
    op.drop_index("ux_bank_statement_line_key", table_name="bank_statement_line")
    op.drop_table("bank_statement_line")
    op.drop_index("ix_bank_statement_imported", table_name="bank_statement")
    op.drop_table("bank_statement")
    op.drop_index("ix_billing_account_payer_key", table_name="billing_account")
    op.drop_column("billing_account", "payer_key")
    op.drop_column("billing_account", "name_kana")
