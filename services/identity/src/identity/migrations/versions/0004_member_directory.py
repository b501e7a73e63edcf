"""The customer directory (R30): members' folded search text, trigram-indexed, and
the registration order the directory pages through.

``pg_trgm`` is a trusted extension: the database's owner may create it. The column
may already exist (identity_0002 creates ``members`` from the current table
definition), hence IF NOT EXISTS; every row's text is computed here with the
folding the repository applies on each write.

Revision ID: identity_0004
Revises: identity_0003
"""

import sqlalchemy as sa
from alembic import op

from identity.domain.directory import search_text_of

revision = "identity_0004"
down_revision = "identity_0003"
branch_labels = None
depends_on = None

_BATCH = 1000


def _back_fill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, name, name_kana, organization_name, corporate_number, login_id,"
            " contact_email, phone FROM members"
        )
    ).all()
    update = sa.text("UPDATE members SET search_text = :text WHERE id = :id")
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        bind.execute(update, [{"id": r[0], "text": search_text_of(*r[1:], r[0])} for r in batch])


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("ALTER TABLE members ADD COLUMN IF NOT EXISTS search_text text NOT NULL DEFAULT ''")
    _back_fill()
    # LIKE '%term%' is estimated from the column's histogram: a larger one tells a rare
    # term (trigram index) from a common one (the registration order, stopping early).
    op.execute("ALTER TABLE members ALTER COLUMN search_text SET STATISTICS 1000")
    op.execute(
        "CREATE INDEX ix_members_search_text_trgm ON members USING gin (search_text gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_members_kind_created ON members (kind, created_at DESC, id DESC)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_members_kind_created")
    op.execute("DROP INDEX IF EXISTS ix_members_search_text_trgm")
    op.execute("ALTER TABLE members DROP COLUMN IF EXISTS search_text")
