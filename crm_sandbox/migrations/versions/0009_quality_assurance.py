"""quality_assurance: IQA and EQA roles, assessor standing, countersignatures, IQA verdicts and
standardisation (issue 20).

Six evidential tables (the ledger covers them): an account's standing (an assessor's qualification or
trainee status, an EQA account's expiry), countersignatures, IQA verdicts, standardisation exercises,
marks and agreed outcomes. No existing table changes (a trainee's sign-off says so in its snapshot), so
nothing is attested again: the new tables start empty.

Revision ID: 0009_quality_assurance
Revises: 0008_contact_summary
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_quality_assurance"
down_revision = "0008_contact_summary"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "account_standing",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assessor_status", sa.String(length=12), nullable=True),
        sa.Column("qualified_on", sa.Date(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        _fk("account_standing", "user_id", "user"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_standing")),
    )
    op.create_table(
        "standardisation_exercise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("contact_ids", sa.JSON(), nullable=False),
        sa.Column("rater_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("standardisation_exercise", "cohort_id", "cohort"),
        _fk("standardisation_exercise", "created_by", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standardisation_exercise")),
    )
    op.create_index(
        op.f("ix_standardisation_exercise_cohort_id"), "standardisation_exercise", ["cohort_id"], unique=False
    )
    op.create_table(
        "standardisation_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("standardisation_mark", "contact_id", "contact"),
        _fk("standardisation_mark", "exercise_id", "standardisation_exercise"),
        _fk("standardisation_mark", "rater_id", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standardisation_mark")),
        sa.UniqueConstraint(
            "exercise_id",
            "contact_id",
            "rater_id",
            name=op.f("uq_standardisation_mark_exercise_idcontact_idrater_id"),
        ),
    )
    op.create_index(op.f("ix_standardisation_mark_exercise_id"), "standardisation_mark", ["exercise_id"], unique=False)
    op.create_table(
        "standardisation_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("reopen", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("standardisation_outcome", "contact_id", "contact"),
        _fk("standardisation_outcome", "exercise_id", "standardisation_exercise"),
        _fk("standardisation_outcome", "recorded_by", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standardisation_outcome")),
    )
    op.create_index(
        op.f("ix_standardisation_outcome_exercise_id"), "standardisation_outcome", ["exercise_id"], unique=False
    )
    op.create_table(
        "countersignature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("countersigned_by", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _fk("countersignature", "assessment_id", "assessment"),
        _fk("countersignature", "contact_id", "contact"),
        _fk("countersignature", "countersigned_by", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_countersignature")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_countersignature_assessment_id")),
    )
    op.create_index(op.f("ix_countersignature_contact_id"), "countersignature", ["contact_id"], unique=False)
    op.create_table(
        "iqa_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("iqa_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        _fk("iqa_verdict", "answered_by", "user"),
        _fk("iqa_verdict", "assessment_id", "assessment"),
        _fk("iqa_verdict", "contact_id", "contact"),
        _fk("iqa_verdict", "iqa_id", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iqa_verdict")),
        sa.UniqueConstraint("assessment_id", "iqa_id", name=op.f("uq_iqa_verdict_assessment_idiqa_id")),
    )
    op.create_index(op.f("ix_iqa_verdict_contact_id"), "iqa_verdict", ["contact_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_iqa_verdict_contact_id"), table_name="iqa_verdict")
    op.drop_table("iqa_verdict")
    op.drop_index(op.f("ix_countersignature_contact_id"), table_name="countersignature")
    op.drop_table("countersignature")
    op.drop_index(op.f("ix_standardisation_outcome_exercise_id"), table_name="standardisation_outcome")
    op.drop_table("standardisation_outcome")
    op.drop_index(op.f("ix_standardisation_mark_exercise_id"), table_name="standardisation_mark")
    op.drop_table("standardisation_mark")
    op.drop_index(op.f("ix_standardisation_exercise_cohort_id"), table_name="standardisation_exercise")
    op.drop_table("standardisation_exercise")
    op.drop_table("account_standing")
