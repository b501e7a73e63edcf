"""Withdrawal releases the login ID (R8): the unique constraint on ``members.login_id``
becomes a partial unique index over accounts not withdrawn, and a plain index serves
the lookups that also find withdrawn accounts.

identity_0002 creates ``members`` from the current table definition, so on a fresh
database the indexes may exist already (hence IF [NOT] EXISTS).

Downgrading fails while a login ID is held by a withdrawn and a live account at once.

Revision ID: identity_0006
Revises: identity_0005
"""

from alembic import op

revision = "identity_0006"
down_revision = "identity_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE members DROP CONSTRAINT IF EXISTS members_login_id_key")
    op.execute("CREATE INDEX IF NOT EXISTS ix_members_login_id ON members (login_id)")
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_members_live_login_id ON members (login_id)"
        " WHERE status <> 'withdrawn'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS uq_members_live_login_id")
    op.execute("DROP INDEX IF EXISTS ix_members_login_id")
    op.execute("ALTER TABLE members ADD CONSTRAINT members_login_id_key UNIQUE (login_id)")
