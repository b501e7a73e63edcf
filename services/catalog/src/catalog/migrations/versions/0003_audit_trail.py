"""The audit trail (R34): entity and member columns with the indexes ops filter by,
and a trigger refusing UPDATE, DELETE and TRUNCATE of audit rows (append-only).

Revision ID: catalog_0003
Revises: catalog_0002
"""

from servicekit.migrations import extend_audit_log, reduce_audit_log

revision = "catalog_0003"
down_revision = "catalog_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    extend_audit_log()


def downgrade() -> None:
    reduce_audit_log()
