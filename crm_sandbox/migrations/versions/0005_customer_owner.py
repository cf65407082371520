"""customer.learner_id: each learner's private world of customers (issue 14, item 5).

Nullable: customers of an upgraded database stay the cohort's shared background customers; the
contacts already made keep the customers they name.

Revision ID: 0005_customer_owner
Revises: 0004_qualification
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_customer_owner"
down_revision = "0004_qualification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("learner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_customer_learner_id_user"), "user", ["learner_id"], ["id"])
        batch.create_index(op.f("ix_customer_learner_id"), ["learner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.drop_index(op.f("ix_customer_learner_id"))
        batch.drop_constraint(op.f("fk_customer_learner_id_user"), type_="foreignkey")
        batch.drop_column("learner_id")
