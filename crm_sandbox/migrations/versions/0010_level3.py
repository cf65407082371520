"""level3: Level 3 team-leader tasks and their append-only event streams (issue 21).

Two new evidential tables the ledger covers (ledger/coverage.py). Nothing to attest at upgrade: both
start empty, as data_view did (0007); every row written afterwards gets its leaf when it is written.

Revision ID: 0010_level3
Revises: 0009_quality_assurance
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_level3"
down_revision = "0009_quality_assurance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "level3_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["assigned_by"], ["user.id"], name=op.f("fk_level3_task_assigned_by_user")),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_level3_task_cohort_id_cohort")),
        sa.ForeignKeyConstraint(["learner_id"], ["user.id"], name=op.f("fk_level3_task_learner_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level3_task")),
    )
    op.create_index(op.f("ix_level3_task_cohort_id"), "level3_task", ["cohort_id"], unique=False)
    op.create_index(op.f("ix_level3_task_learner_id"), "level3_task", ["learner_id"], unique=False)
    op.create_table(
        "level3_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["user.id"], name=op.f("fk_level3_event_actor_user_id_user")),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_level3_event_cohort_id_cohort")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level3_event")),
        sa.UniqueConstraint("stream", "seq", name=op.f("uq_level3_event_streamseq")),
    )
    op.create_index(op.f("ix_level3_event_cohort_id"), "level3_event", ["cohort_id"], unique=False)
    op.create_index(op.f("ix_level3_event_stream"), "level3_event", ["stream"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_level3_event_stream"), table_name="level3_event")
    op.drop_index(op.f("ix_level3_event_cohort_id"), table_name="level3_event")
    op.drop_table("level3_event")
    op.drop_index(op.f("ix_level3_task_learner_id"), table_name="level3_task")
    op.drop_index(op.f("ix_level3_task_cohort_id"), table_name="level3_task")
    op.drop_table("level3_task")
