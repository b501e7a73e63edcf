"""Ops views (R30–R32): member names in the member copy, who ended a contract and why,
and indexes for the ops order and contract lists.

Revision ID: ordering_0003
Revises: ordering_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "ordering_0003"
down_revision = "ordering_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Copies made before stay without names until identity's next event about the member.
    op.add_column("member_copy", sa.Column("name", sa.String(), nullable=True))
    op.add_column("member_copy", sa.Column("organization_name", sa.String(), nullable=True))
    op.add_column("contracts", sa.Column("cancelled_by", sa.String(10), nullable=True))
    op.add_column("contracts", sa.Column("cancellation_reason", sa.String(), nullable=True))
    # Contracts ended before: the site was the only way (R20).
    op.execute("UPDATE contracts SET cancelled_by = 'member' WHERE end_date IS NOT NULL")
    op.create_index("ix_orders_service_created", "orders", ["service_id", "created_at", "id"])
    op.create_index("ix_orders_created", "orders", ["created_at", "id"])
    op.create_index("ix_contracts_created", "contracts", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_contracts_created", table_name="contracts")
    op.drop_index("ix_orders_created", table_name="orders")
    op.drop_index("ix_orders_service_created", table_name="orders")
    op.drop_column("contracts", "cancellation_reason")
    op.drop_column("contracts", "cancelled_by")
    op.drop_column("member_copy", "organization_name")
    op.drop_column("member_copy", "name")
