"""Services and their immutable versions (SPEC §4, R28).

Revision ID: catalog_0002
Revises: catalog_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_service",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("name_ja", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("description_ja", sa.String(), nullable=False),
        sa.Column("description_en", sa.String(), nullable=False),
        sa.Column("snapshot", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_service"),
        sa.UniqueConstraint("slug", name="uq_catalog_service_slug"),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retired')", name="ck_catalog_service_status"
        ),
    )
    op.create_index("ix_catalog_service_status", "catalog_service", ["status"])
    op.create_index("ix_catalog_service_category", "catalog_service", ["category"])
    op.create_table(
        "catalog_service_version",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("snapshot", JSONB(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "version", name="pk_catalog_service_version"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name="fk_catalog_service_version_service_id_catalog_service",
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retired')",
            name="ck_catalog_service_version_status",
        ),
    )
    # Orders point at these rows (R28): the database itself refuses to change one.
    op.execute(
        """
        CREATE FUNCTION catalog_service_version_immutable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'catalog_service_version rows are immutable';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER catalog_service_version_immutable BEFORE UPDATE OR DELETE"
        " ON catalog_service_version"
        " FOR EACH ROW EXECUTE FUNCTION catalog_service_version_immutable()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER catalog_service_version_immutable ON catalog_service_version")
    op.execute("DROP FUNCTION catalog_service_version_immutable()")
    op.drop_table("catalog_service_version")
    op.drop_index("ix_catalog_service_category", table_name="catalog_service")
    op.drop_index("ix_catalog_service_status", table_name="catalog_service")
    op.drop_table("catalog_service")
