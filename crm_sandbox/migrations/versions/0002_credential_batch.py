"""credential_batch: one-time passwords kept, encrypted, for a single download (issue 12).

Revision ID: 0002_credential_batch
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_credential_batch"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user.id"], name=op.f("fk_credential_batch_created_by_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_credential_batch_cohort_id_cohort"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_batch")),
    )
    op.create_index(op.f("ix_credential_batch_created_by"), "credential_batch", ["created_by"], unique=False)
    op.create_index(op.f("ix_credential_batch_created_at"), "credential_batch", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credential_batch_created_at"), table_name="credential_batch")
    op.drop_index(op.f("ix_credential_batch_created_by"), table_name="credential_batch")
    op.drop_table("credential_batch")
