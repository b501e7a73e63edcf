"""Billing tables: accounts, transfer applications, subscriptions, invoices, payments.

Issued invoices never change (R24): a trigger refuses any change to an
invoice's amounts, parties or dates and any change to its lines, and deletes
of either; only status, payments and the void reason move.

Revision ID: billing_0002
Revises: billing_0001
"""

from alembic import op

revision = "billing_0002"
down_revision = "billing_0001"
branch_labels = None
depends_on = None

_UPGRADE = """
CREATE TABLE billing_account (
    id uuid PRIMARY KEY,
    member_id uuid NOT NULL CONSTRAINT uq_billing_account_member_id UNIQUE,
    member_version integer NOT NULL,
    entity_type varchar(30) NOT NULL,
    name varchar NOT NULL,
    organization_name varchar NOT NULL,
    department varchar,
    postal_code varchar(7) NOT NULL,
    address varchar NOT NULL,
    payment_method varchar(30) NOT NULL
        CONSTRAINT ck_billing_account_payment_method
        CHECK (payment_method IN ('invoice', 'account_transfer')),
    consolidated_mailing boolean NOT NULL,
    version integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE billing_account_transfer (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES billing_account (id),
    status varchar(20) NOT NULL
        CONSTRAINT ck_billing_account_transfer_status
        CHECK (status IN ('applied', 'completed', 'rejected')),
    bank_code varchar(4) NOT NULL,
    branch_code varchar(3) NOT NULL,
    account_type varchar(20) NOT NULL,
    masked_number varchar(20) NOT NULL,
    sealed_details text NOT NULL,
    applied_at timestamptz NOT NULL,
    expected_completion_date date NOT NULL,
    decided_at timestamptz,
    decided_by varchar(200),
    reason varchar
);
CREATE INDEX ix_billing_account_transfer_account ON billing_account_transfer (account_id);
-- One open application per account at a time.
CREATE UNIQUE INDEX uq_billing_account_transfer_open
    ON billing_account_transfer (account_id) WHERE status = 'applied';
CREATE TABLE billing_subscription (
    contract_id uuid PRIMARY KEY,
    member_id uuid NOT NULL,
    service_id uuid NOT NULL,
    service_name jsonb NOT NULL,
    plan_name jsonb NOT NULL,
    quantity integer NOT NULL CHECK (quantity >= 1),
    monthly_fee integer NOT NULL CHECK (monthly_fee >= 0),
    initial_fee integer NOT NULL CHECK (initial_fee >= 0),
    free_first_month boolean NOT NULL,
    allows_account_transfer boolean NOT NULL,
    start_date date NOT NULL,
    end_date date,
    early_termination_fee integer NOT NULL CHECK (early_termination_fee >= 0),
    contract_version integer NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX ix_billing_subscription_group
    ON billing_subscription (member_id, service_id, start_date);
CREATE INDEX ix_billing_subscription_start ON billing_subscription (start_date);
CREATE TABLE invoice (
    id uuid PRIMARY KEY,
    invoice_number varchar(20) NOT NULL,
    issuer_registration_number varchar(14) NOT NULL,
    member_id uuid NOT NULL,
    service_id uuid NOT NULL,
    service_name jsonb NOT NULL,
    usage_month date NOT NULL,
    usage_period_start date NOT NULL,
    usage_period_end date NOT NULL,
    issue_date date NOT NULL,
    due_date date NOT NULL,
    payment_method varchar(30) NOT NULL,
    taxable_subtotal integer NOT NULL CHECK (taxable_subtotal >= 0),
    non_taxable_subtotal integer NOT NULL CHECK (non_taxable_subtotal >= 0),
    tax integer NOT NULL CHECK (tax >= 0),
    total integer NOT NULL CHECK (total = taxable_subtotal + non_taxable_subtotal + tax),
    issuer jsonb NOT NULL,
    recipient jsonb NOT NULL,
    consolidated_mailing boolean NOT NULL,
    corrects_invoice_id uuid REFERENCES invoice (id),
    status varchar(20) NOT NULL
        CONSTRAINT ck_invoice_status CHECK (status IN ('issued', 'paid', 'overdue', 'void')),
    paid_amount integer NOT NULL,
    transfer_failed boolean NOT NULL,
    void_reason varchar,
    version integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT uq_invoice_number UNIQUE (issuer_registration_number, invoice_number)
);
-- R22: exactly one invoice per member, service and usage month from the billing run;
-- a correction (corrects_invoice_id set) replaces a voided one and is unique per original.
CREATE UNIQUE INDEX uq_invoice_member_service_month
    ON invoice (member_id, service_id, usage_month) WHERE corrects_invoice_id IS NULL;
CREATE UNIQUE INDEX uq_invoice_corrects ON invoice (corrects_invoice_id)
    WHERE corrects_invoice_id IS NOT NULL;
CREATE INDEX ix_invoice_member_issue ON invoice (member_id, issue_date DESC, id DESC);
CREATE INDEX ix_invoice_open_due ON invoice (due_date) WHERE status = 'issued';
CREATE TABLE invoice_line (
    invoice_id uuid NOT NULL REFERENCES invoice (id),
    position integer NOT NULL,
    contract_id uuid,
    kind varchar(30) NOT NULL,
    plan_name jsonb NOT NULL,
    quantity integer NOT NULL,
    unit_price integer NOT NULL,
    amount integer NOT NULL CHECK (amount >= 0),
    taxable boolean NOT NULL,
    period_start date,
    period_end date,
    PRIMARY KEY (invoice_id, position)
);
CREATE TABLE invoice_payment (
    id uuid PRIMARY KEY,
    invoice_id uuid NOT NULL REFERENCES invoice (id),
    kind varchar(20) NOT NULL
        CONSTRAINT ck_invoice_payment_kind CHECK (kind IN ('payment', 'transfer_failed')),
    amount integer NOT NULL CHECK (amount >= 0),
    paid_on date NOT NULL,
    recorded_by varchar(200) NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX ix_invoice_payment_invoice ON invoice_payment (invoice_id);
CREATE TABLE invoice_number_counter (
    issuer_registration_number varchar(14) NOT NULL,
    year integer NOT NULL,
    last_sequence integer NOT NULL,
    PRIMARY KEY (issuer_registration_number, year)
);
CREATE TABLE billing_run_month (
    usage_month date PRIMARY KEY,
    completed_at timestamptz NOT NULL,
    invoices_issued integer NOT NULL
);
"""

_IMMUTABLE_FUNCTION = """
CREATE FUNCTION invoice_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'issued invoices are kept: % cannot be deleted', TG_TABLE_NAME;
    END IF;
    IF TG_TABLE_NAME = 'invoice_line' THEN
        RAISE EXCEPTION 'lines of an issued invoice never change';
    END IF;
    IF (NEW.invoice_number, NEW.issuer_registration_number, NEW.member_id, NEW.service_id,
        NEW.usage_month, NEW.usage_period_start, NEW.usage_period_end, NEW.issue_date,
        NEW.due_date, NEW.payment_method, NEW.taxable_subtotal, NEW.non_taxable_subtotal,
        NEW.tax, NEW.total, NEW.issuer, NEW.recipient, NEW.corrects_invoice_id)
       IS DISTINCT FROM
       (OLD.invoice_number, OLD.issuer_registration_number, OLD.member_id, OLD.service_id,
        OLD.usage_month, OLD.usage_period_start, OLD.usage_period_end, OLD.issue_date,
        OLD.due_date, OLD.payment_method, OLD.taxable_subtotal, OLD.non_taxable_subtotal,
        OLD.tax, OLD.total, OLD.issuer, OLD.recipient, OLD.corrects_invoice_id) THEN
        RAISE EXCEPTION 'an issued invoice never changes: void it and issue a corrected one';
    END IF;
    RETURN NEW;
END;
$$
"""

_TRIGGERS = """
CREATE TRIGGER invoice_immutable BEFORE UPDATE OR DELETE ON invoice
    FOR EACH ROW EXECUTE FUNCTION invoice_is_immutable();
CREATE TRIGGER invoice_line_immutable BEFORE UPDATE OR DELETE ON invoice_line
    FOR EACH ROW EXECUTE FUNCTION invoice_is_immutable();
"""

_DOWNGRADE = """
DROP TABLE IF EXISTS billing_run_month, invoice_number_counter, invoice_payment,
    invoice_line, invoice, billing_subscription, billing_account_transfer, billing_account;
DROP FUNCTION IF EXISTS invoice_is_immutable();
"""


def _statements(script: str) -> list[str]:
    # One statement per execute: asyncpg prepares each, and a prepared statement
    # cannot hold several commands.
    return [s.strip() for s in script.split(";\n") if s.strip()]


def upgrade() -> None:
    for statement in _statements(_UPGRADE):
        op.execute(statement)
    op.execute(_IMMUTABLE_FUNCTION)
    for statement in _statements(_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(_DOWNGRADE):
        op.execute(statement)
