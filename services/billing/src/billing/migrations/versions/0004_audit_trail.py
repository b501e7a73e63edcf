"""The audit trail (R34): entity and member columns with the indexes ops filter by,
and a trigger refusing UPDATE, DELETE and TRUNCATE of audit rows (append-only).

Revision ID: billing_0004
Revises: billing_0003
"""

from servicekit.migrations import extend_audit_log, reduce_audit_log

revision = "billing_0004"
down_revision = "billing_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    extend_audit_log()


def downgrade() -> None:
    reduce_audit_log()
