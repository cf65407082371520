"""rule_state: each contact's rules-engine state after its last event (issue 18), so an append folds in
only the new events.

Derived, not evidence (the ledger does not cover it: ``ledger/coverage.py``, EXEMPT). Nothing to backfill:
a contact without a state has it rebuilt from its events the next time its findings are refreshed (or by
``flask rebuild-summaries``).

Revision ID: 0011_rule_state
Revises: 0010_level3
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_rule_state"
down_revision = "0010_level3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_state",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_rule_state_contact_id_contact"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_rule_state")),
    )


def downgrade() -> None:
    op.drop_table("rule_state")
