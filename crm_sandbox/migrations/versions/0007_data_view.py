"""data_view: who saw which customer's personal data, when, which fields, and whether entitled (issue 16).

One row per page render, report or export that displays a customer's personal data. Evidential (the
ledger covers it): nothing to attest at upgrade, the table starts empty.

Revision ID: 0007_data_view
Revises: 0006_ledger
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_data_view"
down_revision = "0006_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customers", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("entitled", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_data_view_cohort_id_cohort")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_data_view_contact_id_contact")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_data_view_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_view")),
    )
    op.create_index(op.f("ix_data_view_cohort_id"), "data_view", ["cohort_id"], unique=False)
    op.create_index("ix_data_view_contact_user", "data_view", ["contact_id", "user_id"], unique=False)
    op.create_index(op.f("ix_data_view_customer_id"), "data_view", ["customer_id"], unique=False)
    op.create_index(op.f("ix_data_view_user_id"), "data_view", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_data_view_user_id"), table_name="data_view")
    op.drop_index(op.f("ix_data_view_customer_id"), table_name="data_view")
    op.drop_index("ix_data_view_contact_user", table_name="data_view")
    op.drop_index(op.f("ix_data_view_cohort_id"), table_name="data_view")
    op.drop_table("data_view")
