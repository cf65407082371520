"""The baseline: the schema as the release before migrations made it with create_all.

Every later revision starts from here (``down_revision = "0001_baseline"``). A database made by that
release has these tables and no alembic_version table: the upgrade recognises it (crm_sandbox.schema)
and stamps it at this revision instead of running it. Written out table by table so it never changes
when the models do; the downgrade drops everything (its indexes go with each table). Types are the
stored ones: timestamps are DateTime (naive UTC), encrypted fields Text.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_schema(op)


def create_schema(op: Any) -> None:  # alembic.op, or schema's recorder
    """Every table and index, through ``op`` (crm_sandbox.schema passes a recorder to read them)."""
    op.create_table(
        "archived_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_name", sa.String(length=80), nullable=False),
        sa.Column("cohort_generation", sa.Integer(), nullable=False),
        sa.Column("learner_username", sa.String(length=80), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retention_until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_pack")),
        sa.UniqueConstraint("path", name=op.f("uq_archived_pack_path")),
    )
    op.create_index(op.f("ix_archived_pack_cohort_name"), "archived_pack", ["cohort_name"])
    op.create_index(op.f("ix_archived_pack_retention_until"), "archived_pack", ["retention_until"])

    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("name", name=op.f("uq_cohort_name")),
    )

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("product", sa.String(length=60), nullable=False),
        sa.Column("personal", sa.Text(), nullable=False),
        sa.Column("last_name_index", sa.String(length=32), nullable=False),
        sa.Column("postcode_index", sa.String(length=32), nullable=False),
        sa.Column("account_number_index", sa.String(length=32), nullable=False),
        sa.Column("email_index", sa.String(length=32), nullable=False),
        sa.Column("phone_index", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_customer_cohort_id_cohort")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("cohort_id", "ref", name=op.f("uq_customer_cohort_idref")),
    )
    op.create_index(op.f("ix_customer_account_number_index"), "customer", ["account_number_index"])
    op.create_index(op.f("ix_customer_cohort_id"), "customer", ["cohort_id"])
    op.create_index(op.f("ix_customer_email_index"), "customer", ["email_index"])
    op.create_index(op.f("ix_customer_last_name_index"), "customer", ["last_name_index"])
    op.create_index(op.f("ix_customer_phone_index"), "customer", ["phone_index"])
    op.create_index(op.f("ix_customer_postcode_index"), "customer", ["postcode_index"])

    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_user_cohort_id_cohort")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("username", name=op.f("uq_user_username")),
    )
    op.create_index(op.f("ix_user_cohort_id"), "user", ["cohort_id"])

    op.create_table(
        "account_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=120), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_account_transaction_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_transaction")),
    )
    op.create_index(op.f("ix_account_transaction_customer_id"), "account_transaction", ["customer_id"])

    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("role_player_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assessor_id"], ["user.id"], name=op.f("fk_contact_assessor_id_user")),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_contact_cohort_id_cohort")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_contact_customer_id_customer")),
        sa.ForeignKeyConstraint(["learner_id"], ["user.id"], name=op.f("fk_contact_learner_id_user")),
        sa.ForeignKeyConstraint(["role_player_id"], ["user.id"], name=op.f("fk_contact_role_player_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    op.create_index(op.f("ix_contact_cohort_id"), "contact", ["cohort_id"])
    op.create_index(op.f("ix_contact_learner_id"), "contact", ["learner_id"])
    op.create_index(op.f("ix_contact_status"), "contact", ["status"])

    op.create_table(
        "prior_interaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_prior_interaction_customer_id_customer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_interaction")),
    )
    op.create_index(op.f("ix_prior_interaction_customer_id"), "prior_interaction", ["customer_id"])

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"])

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("learner_comment", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assessor_id"], ["user.id"], name=op.f("fk_assessment_assessor_id_user")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_assessment_contact_id_contact")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_assessment_contact_id")),
    )

    op.create_table(
        "chain_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_chain_seal_contact_id_contact")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_seal")),
    )
    op.create_index(op.f("ix_chain_seal_contact_id"), "chain_seal", ["contact_id"])

    op.create_table(
        "criterion_judgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=40), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assessor_id"], ["user.id"], name=op.f("fk_criterion_judgement_assessor_id_user")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_criterion_judgement_contact_id_contact")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criterion_judgement")),
    )
    op.create_index(op.f("ix_criterion_judgement_contact_id"), "criterion_judgement", ["contact_id"])

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["user.id"], name=op.f("fk_event_actor_user_id_user")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_event_contact_id_contact")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("contact_id", "form_token", name=op.f("uq_event_contact_idform_token")),
        sa.UniqueConstraint("contact_id", "seq", name=op.f("uq_event_contact_idseq")),
    )
    op.create_index(op.f("ix_event_contact_id"), "event", ["contact_id"])

    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_finding_contact_id_contact")),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_finding_created_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint("contact_id", "key", name=op.f("uq_finding_contact_idkey")),
    )
    op.create_index(op.f("ix_finding_contact_id"), "finding", ["contact_id"])

    op.create_table(
        "finding_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assessor_id"], ["user.id"], name=op.f("fk_finding_decision_assessor_id_user")),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.id"], name=op.f("fk_finding_decision_finding_id_finding")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_decision")),
    )
    op.create_index(op.f("ix_finding_decision_finding_id"), "finding_decision", ["finding_id"])


def downgrade() -> None:
    op.drop_table("finding_decision")
    op.drop_table("finding")
    op.drop_table("event")
    op.drop_table("criterion_judgement")
    op.drop_table("chain_seal")
    op.drop_table("assessment")
    op.drop_table("user_session")
    op.drop_table("prior_interaction")
    op.drop_table("contact")
    op.drop_table("account_transaction")
    op.drop_table("user")
    op.drop_table("customer")
    op.drop_table("login_throttle")
    op.drop_table("cohort")
    op.drop_table("archived_pack")
