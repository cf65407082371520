"""qualification: the cohort's qualification and a learner's own (issue 14).

Revision ID: 0004_qualification
Revises: 0003_judgement_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_qualification"
down_revision = "0003_judgement_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("qualification", sa.String(length=40), server_default="icq-l2-nvq-cco", nullable=False)
        )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualification", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("qualification")
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_column("qualification")
