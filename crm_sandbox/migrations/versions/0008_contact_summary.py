"""contact_summary: each contact's dashboard figures, maintained as events are appended (issue 18).

A derived read model, not evidence (the ledger does not cover it: ``ledger/coverage.py``, EXEMPT). The
summaries of the contacts already in the database are derived from their events, findings and sign-offs
here (``operations/summaries.py``, as ``flask rebuild-summaries`` does). Runs inside the app (env.py): the
events' data is encrypted with the instance's keys.

Revision ID: 0008_contact_summary
Revises: 0007_data_view
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_contact_summary"
down_revision = "0007_data_view"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_summary",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(), nullable=True),
        sa.Column("findings_high", sa.Integer(), nullable=False),
        sa.Column("findings_medium", sa.Integer(), nullable=False),
        sa.Column("findings_low", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_contact_summary_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_summary")),
    )
    backfill()


def backfill() -> None:
    """Derive every existing contact's summary from its events (needs the app: the events are encrypted)."""
    from flask import has_app_context
    from sqlalchemy.orm import Session

    if not has_app_context():  # offline (--sql): `flask rebuild-summaries` afterwards does the same
        return
    from crm_sandbox.operations.summaries import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session)
    session.flush()


def downgrade() -> None:
    op.drop_table("contact_summary")
