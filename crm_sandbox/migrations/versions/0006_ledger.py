"""ledger: one tamper-evident log of everything evidential (issue 15).

Creates ledger_leaf, ledger_checkpoint and ledger_salt, then records what the database already holds:
each contact's HMAC chain is checked first; the rows of a contact whose chain fails get a
``tampered-before-upgrade`` leaf, every other evidential row an ``attested-at-upgrade`` leaf (what the
release before never protected, ownership, decisions, sign-offs, is attested, not silently approved);
then a first signed checkpoint. Runs inside the app (env.py): it needs the instance's keys.

Revision ID: 0006_ledger
Revises: 0005_customer_owner
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ledger"
down_revision = "0005_customer_owner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_leaf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_leaf")),
        sa.UniqueConstraint("index", name=op.f("uq_ledger_leaf_index")),
    )
    op.create_index(op.f("ix_ledger_leaf_ref"), "ledger_leaf", ["ref"], unique=False)
    op.create_table(
        "ledger_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoint")),
        sa.UniqueConstraint("size", name=op.f("uq_ledger_checkpoint_size")),
    )
    op.create_table(
        "ledger_salt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("salt", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_salt")),
        sa.UniqueConstraint("ref", name=op.f("uq_ledger_salt_ref")),
    )
    attest()


def attest() -> None:
    """Check today's chains, then attest every existing evidential row and sign a first checkpoint."""
    from flask import has_app_context
    from sqlalchemy.orm import Session

    if not has_app_context():  # offline (--sql) or outside the app: nothing to read or sign with
        return
    from crm_sandbox import ledger
    from crm_sandbox.events.chain import verify_log

    session = Session(bind=op.get_bind())
    tampered = [s.contact_id for s in verify_log(session) if not s.ok]
    ledger.attest_existing(session, tampered, reason="upgrade 0006_ledger: existing records attested")
    session.flush()


def downgrade() -> None:
    op.drop_table("ledger_salt")
    op.drop_table("ledger_checkpoint")
    op.drop_index(op.f("ix_ledger_leaf_ref"), table_name="ledger_leaf")
    op.drop_table("ledger_leaf")
