"""Judgements that cannot contradict themselves (issue 14, item 1).

criterion_judgement gets ``status`` (met | not_met | not_covered): old rows keep ``met`` and read as
met=True -> "met", met=False -> "not_met". assessment becomes a history of signed versions: the unique
contact_id goes, ``version`` (old rows: 1), the override reason, the snapshot of what was signed, and
voided_at / voided_by / void_reason for a version a reopened review voids.

Revision ID: 0003_judgement_versions
Revises: 0002_credential_batch
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_judgement_versions"
down_revision = "0002_credential_batch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("criterion_judgement") as batch:
        batch.add_column(sa.Column("status", sa.String(length=12), server_default="met", nullable=False))
    judgement = sa.table("criterion_judgement", sa.column("met", sa.Boolean()), sa.column("status", sa.String()))
    op.execute(judgement.update().where(judgement.c.met == sa.false()).values(status="not_met"))

    with op.batch_alter_table("assessment") as batch:
        batch.drop_constraint("uq_assessment_contact_id", type_="unique")
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("voided_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_assessment_voided_by_user", "user", ["voided_by"], ["id"])
        batch.create_unique_constraint("uq_assessment_contact_idversion", ["contact_id", "version"])
        batch.create_index("ix_assessment_contact_id", ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_index("ix_assessment_contact_id")
        batch.drop_constraint("uq_assessment_contact_idversion", type_="unique")
        batch.drop_constraint("fk_assessment_voided_by_user", type_="foreignkey")
        for column in ("void_reason", "voided_by", "voided_at", "snapshot", "override_reason", "version"):
            batch.drop_column(column)
        batch.create_unique_constraint("uq_assessment_contact_id", ["contact_id"])
    with op.batch_alter_table("criterion_judgement") as batch:
        batch.drop_column("status")
