"""Account-transfer collection (R35): debit batches (one per collection date), their
debits (an invoice is in at most one batch) with the bank's result code, and the
invoice's new due date once its debit failed (a status column: the printed due
date never changes, so the immutability trigger is left as it is).

Revision ID: billing_0006
Revises: billing_0005
"""

from alembic import op

revision = "billing_0006"
down_revision = "billing_0005"
branch_labels = None
depends_on = None

_UPGRADE = """
ALTER TABLE invoice ADD COLUMN fallback_due_date date;
CREATE TABLE collection_batch (
    id uuid PRIMARY KEY,
    collection_date date NOT NULL CONSTRAINT uq_collection_batch_date UNIQUE,
    status varchar(20) NOT NULL
        CONSTRAINT ck_collection_batch_status CHECK (status IN ('built', 'completed')),
    debit_count integer NOT NULL CHECK (debit_count >= 0),
    total bigint NOT NULL CHECK (total >= 0),
    built_at timestamptz NOT NULL,
    built_by varchar(200) NOT NULL,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE collection_debit (
    id uuid PRIMARY KEY,
    batch_id uuid NOT NULL REFERENCES collection_batch (id),
    position integer NOT NULL,
    invoice_id uuid NOT NULL REFERENCES invoice (id)
        CONSTRAINT uq_collection_debit_invoice UNIQUE,
    member_id uuid NOT NULL,
    invoice_number varchar(20) NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    transfer_id uuid NOT NULL REFERENCES billing_account_transfer (id),
    bank_code varchar(4) NOT NULL,
    branch_code varchar(3) NOT NULL,
    account_type varchar(20) NOT NULL,
    masked_number varchar(20) NOT NULL,
    customer_number varchar(20) NOT NULL,
    result_code varchar(1)
        CONSTRAINT ck_collection_debit_result
        CHECK (result_code IN ('0', '1', '2', '3', '4', '8', '9')),
    result_at timestamptz,
    new_due_date date,
    CONSTRAINT uq_collection_debit_position UNIQUE (batch_id, position),
    CONSTRAINT uq_collection_debit_customer UNIQUE (batch_id, customer_number)
);
CREATE INDEX ix_collection_debit_failed ON collection_debit (result_at DESC, id)
    WHERE result_code <> '0'
"""

_DOWNGRADE = """
DROP TABLE IF EXISTS collection_debit;
DROP TABLE IF EXISTS collection_batch;
ALTER TABLE invoice DROP COLUMN IF EXISTS fallback_due_date
"""


def _statements(script: str) -> list[str]:
    # One statement per execute: asyncpg prepares each.
    return [s.strip() for s in script.split(";\n") if s.strip()]


def upgrade() -> None:
    for statement in _statements(_UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(_DOWNGRADE):
        op.execute(statement)
