"""Indexes behind the ops lists: transfer applications by state (oldest first) and
invoices by state or across all members (newest first).

Revision ID: billing_0003
Revises: billing_0002
"""

from alembic import op

revision = "billing_0003"
down_revision = "billing_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_billing_account_transfer_status"
        " ON billing_account_transfer (status, applied_at, id)"
    )
    op.execute("CREATE INDEX ix_invoice_status_issue ON invoice (status, issue_date DESC, id DESC)")
    op.execute("CREATE INDEX ix_invoice_issue ON invoice (issue_date DESC, id DESC)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_invoice_issue")
    op.execute("DROP INDEX IF EXISTS ix_invoice_status_issue")
    op.execute("DROP INDEX IF EXISTS ix_billing_account_transfer_status")
