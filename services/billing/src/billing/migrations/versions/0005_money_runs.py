"""Money in bigint, background billing runs, and the per-contract billing ledger
(R37, R39).

- Every yen column of the billing tables becomes ``bigint`` (an invoice over
  2,147,483,647 yen no longer fails its batch).
- ``billing_run``: a run ops or the scheduler asked for — the queue the worker
  takes runs from (a row survives a restart) and the progress it commits batch by
  batch (contracts done of total, invoices issued, failed groups with reasons).
- ``billing_contract_month``: which contract was billed for which usage month (on
  which invoice, or none when it owed nothing). A contract of a month already
  invoiced (a backdated second contract) has no row, so the run bills it on a
  supplementary invoice instead of skipping its group. Backfilled from the
  invoice lines already issued.
- ``invoice.supplement_no``: 0 for the month's invoice, 1, 2, … for its
  supplementary invoices; the one-invoice-per-group index includes it.

Revision ID: billing_0005
Revises: billing_0004
"""

from alembic import op

revision = "billing_0005"
down_revision = "billing_0004"
branch_labels = None
depends_on = None

#: Every yen column of billing (table, column).
MONEY = (
    ("billing_subscription", "monthly_fee"),
    ("billing_subscription", "initial_fee"),
    ("billing_subscription", "early_termination_fee"),
    ("invoice", "taxable_subtotal"),
    ("invoice", "non_taxable_subtotal"),
    ("invoice", "tax"),
    ("invoice", "total"),
    ("invoice", "paid_amount"),
    ("invoice_line", "unit_price"),
    ("invoice_line", "amount"),
    ("invoice_payment", "amount"),
)

_UPGRADE = [
    # The immutability trigger refuses updates of issued rows; ALTER TYPE rewrites
    # the table without firing row triggers.
    *(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bigint" for table, column in MONEY),
    "ALTER TABLE invoice ADD COLUMN supplement_no integer NOT NULL DEFAULT 0",
    "DROP INDEX uq_invoice_member_service_month",
    """CREATE UNIQUE INDEX uq_invoice_member_service_month
        ON invoice (member_id, service_id, usage_month, supplement_no)
        WHERE corrects_invoice_id IS NULL""",
    """CREATE TABLE billing_contract_month (
        contract_id uuid NOT NULL,
        usage_month date NOT NULL,
        invoice_id uuid REFERENCES invoice (id),
        billed_at timestamptz NOT NULL,
        PRIMARY KEY (contract_id, usage_month)
    )""",
    """INSERT INTO billing_contract_month (contract_id, usage_month, invoice_id, billed_at)
        SELECT DISTINCT ON (l.contract_id, i.usage_month)
               l.contract_id, i.usage_month, i.id, i.created_at
        FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
        WHERE l.contract_id IS NOT NULL
        ORDER BY l.contract_id, i.usage_month, i.created_at""",
    """CREATE TABLE billing_run (
        id uuid PRIMARY KEY,
        usage_month date NOT NULL,
        status varchar(20) NOT NULL
            CONSTRAINT ck_billing_run_status
            CHECK (status IN ('queued', 'running', 'done', 'failed')),
        requested_by varchar(200) NOT NULL,
        requested_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz,
        issue_date date,
        contracts_total integer NOT NULL DEFAULT 0,
        contracts_done integer NOT NULL DEFAULT 0,
        invoices_issued integer NOT NULL DEFAULT 0,
        supplementary_issued integer NOT NULL DEFAULT 0,
        contracts_waiting_for_account integer NOT NULL DEFAULT 0,
        failed_groups jsonb NOT NULL DEFAULT '[]'::jsonb,
        error varchar,
        attempts integer NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX ix_billing_run_open ON billing_run (requested_at) "
    "WHERE status IN ('queued', 'running')",
    "CREATE INDEX ix_billing_run_requested ON billing_run (requested_at DESC, id DESC)",
]

_DOWNGRADE = [
    "DROP TABLE IF EXISTS billing_run",
    "DROP TABLE IF EXISTS billing_contract_month",
    "DROP INDEX uq_invoice_member_service_month",
    """CREATE UNIQUE INDEX uq_invoice_member_service_month
        ON invoice (member_id, service_id, usage_month) WHERE corrects_invoice_id IS NULL""",
    "ALTER TABLE invoice DROP COLUMN supplement_no",
    *(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE integer" for table, column in MONEY),
]


def upgrade() -> None:
    for statement in _UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in _DOWNGRADE:
        op.execute(statement)
