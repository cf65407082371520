"""Alembic owns the schema: head equals the models, upgrades keep evidence verifiable, run twice they do
nothing, a failed revision leaves nothing half-done, and the previous release's database is adopted
(or, when its tables are not the baseline's, refused with nothing changed).

Written against "head", so they stay right as later revisions are added.
"""

import shutil
import textwrap

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from crm_sandbox.extensions import db
from crm_sandbox.models import Customer, Transaction
from crm_sandbox.schema import (
    BASELINE,
    SchemaError,
    baseline_metadata,
    current_revision,
    schema_differences,
    upgrade_database,
)
from tests.conftest import ON_POSTGRES, dispose_engines, make_test_app, stored_rows
from tests.reporting import reviewed  # noqa: F401  (fixture)

EVIDENCE = ("event", "chain_seal", "finding", "finding_decision", "criterion_judgement", "assessment")


@pytest.fixture
def app(tmp_path, database_uri):
    """Overrides conftest's: an app on an empty database, whose tables each test makes its own way."""
    app = make_test_app(database_uri("test.sqlite"), tmp_path / "instance")
    yield app
    dispose_engines(app)


def scripts(app, directory=None) -> ScriptDirectory:
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(directory))


def revision(app) -> str | None:
    with app.app_context():
        return current_revision(db.engine)


def make_previous_release_database(app) -> None:
    """What the release before migrations did on first run: create_all of its models (the baseline's
    tables), and no alembic_version table."""
    with app.app_context():
        baseline_metadata(scripts(app)).create_all(db.engine)


def layout(app) -> dict:
    """Every table with its columns and indexes, and the recorded revision: what an upgrade may change."""
    with app.app_context(), db.engine.connect() as conn:
        found = inspect(conn)
        tables = {
            t: ([c["name"] for c in found.get_columns(t)], sorted(i["name"] for i in found.get_indexes(t)))
            for t in found.get_table_names()
        }
    return {"tables": tables, "revision": revision(app)}


def differences_from_models(app) -> list[str]:
    with app.app_context(), db.engine.connect() as conn:
        return schema_differences(conn, db.metadata)


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_upgrade_head_builds_exactly_the_models_and_downgrade_drops_everything(app):
    with app.app_context():
        done = upgrade_database()
    assert (done.before, done.after, done.adopted) == (None, scripts(app).get_current_head(), False)
    assert differences_from_models(app) == []  # a model change without its migration fails here
    with app.app_context():
        command.downgrade(app.extensions["migrate"].migrate.get_config(), "base")
    assert set(layout(app)["tables"]) == {"alembic_version"} and revision(app) is None
    with app.app_context():
        upgrade_database()
    assert differences_from_models(app) == []


def head_columns(app) -> dict[str, list[str]]:
    """The evidence tables' columns as the database has them now, in stored order."""
    with app.app_context():
        found = inspect(db.engine)
        return {t: [c["name"] for c in found.get_columns(t)] for t in EVIDENCE}


def baseline_columns_of(app, rows: dict, keep: dict[str, list[str]], have: dict | None = None) -> dict:
    """``rows`` (read with the columns ``have``, default ``keep``) cut down to the columns ``keep``."""
    have = have or keep
    return {t: [tuple(row[have[t].index(c)] for c in keep[t] if c in have[t]) for row in rows[t]] for t in rows}


@pytest.mark.parametrize(
    "made_by, upgraded_by", [("migrations", ("db", "upgrade")), ("previous release", ("bootstrap",))]
)
def test_evidence_recorded_before_an_upgrade_still_verifies(app, request, tmp_path, made_by, upgraded_by):
    # Today's code cannot run on the baseline schema once a later revision adds a column to a table it
    # reads, so the evidence is recorded at head and the database then taken back to the baseline
    # (the evidence tables are the baseline's): what is left is the older release's database, with
    # its evidence, which the upgrade must keep verifiable.
    with app.app_context():
        upgrade_database()
    request.getfixturevalue("reviewed")  # learner1's contact played, closed, reviewed and signed off
    assert invoke(app, "verify-log").exit_code == 0
    pack = tmp_path / "before.zip"
    assert invoke(app, "export-pack", "learner1", "-o", str(pack)).exit_code == 0
    at_head, columns_at_head = stored_rows(app, EVIDENCE), head_columns(app)
    with app.app_context():
        command.downgrade(app.extensions["migrate"].migrate.get_config(), BASELINE)
        if made_by == "previous release":  # no migrations yet: the baseline's tables, no version table
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE alembic_version"))
    assert revision(app) == (BASELINE if made_by == "migrations" else None)
    (tmp_path / "instance" / "checkpoints.log").unlink()  # the older release kept no checkpoint file
    old_columns = head_columns(app)
    evidence = stored_rows(app, EVIDENCE)  # the older release's evidence, as it stored it
    assert evidence["event"] and evidence["chain_seal"] and evidence["assessment"]
    assert baseline_columns_of(app, at_head, old_columns, columns_at_head) == evidence  # every old value kept

    result = invoke(app, *upgraded_by)
    assert result.exit_code == 0, result.output
    assert revision(app) == scripts(app).get_current_head() and differences_from_models(app) == []
    if made_by == "previous release":
        assert "Recognised a database of the release before migrations" in result.output

    upgraded = stored_rows(app, EVIDENCE)
    assert baseline_columns_of(app, upgraded, old_columns, head_columns(app)) == evidence  # kept exactly
    log = invoke(app, "verify-log")
    assert log.exit_code == 0 and log.output.startswith("OK: ") and "with signed heads" in log.output, log.output
    checked = invoke(app, "verify-pack", str(pack))
    assert checked.exit_code == 0 and checked.output.startswith("OK: "), checked.output
    after = tmp_path / "after.zip"
    assert invoke(app, "export-pack", "learner1", "-o", str(after)).exit_code == 0
    assert invoke(app, "verify-pack", str(after)).exit_code == 0


def test_upgrading_an_up_to_date_database_does_nothing(app):
    with app.app_context():
        upgrade_database()
    before = layout(app)
    result = invoke(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert layout(app) == before
    with app.app_context():
        assert not upgrade_database().changed
    assert invoke(app, "init-db").output.strip() == "Database ready: already up to date."


TAMPERING = {
    "a table the baseline does not have": (
        "CREATE TABLE stray (id INTEGER PRIMARY KEY)",
        "table stray is not expected",
    ),
    "an index dropped": ("DROP INDEX ix_event_contact_id", "index ix_event_contact_id on event is missing"),
    "a column added": ("ALTER TABLE cohort ADD COLUMN note VARCHAR(20)", "column cohort.note is not expected"),
}


@pytest.mark.parametrize("change", TAMPERING, ids=list(TAMPERING))
def test_unversioned_tables_that_are_not_the_baseline_are_refused_and_left_alone(app, caplog, change):
    make_previous_release_database(app)
    sql, named = TAMPERING[change]
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql))
    before = layout(app)

    refused = invoke(app, "bootstrap")
    assert refused.exit_code == 1
    assert "do not match the schema of CRM Sandbox's previous release" in refused.output and named in refused.output
    assert "Traceback" not in refused.output
    assert invoke(app, "db", "upgrade").exit_code == 1
    assert "left unchanged" in caplog.text
    assert layout(app) == before and "alembic_version" not in before["tables"]


FAILING_REVISION = '''
"""A later revision that alters a table holding data, then fails."""
import sqlalchemy as sa
from alembic import op

revision = "9999_test"
down_revision = {head!r}


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    # SQLite: copy, drop and rename the table (with foreign keys on, the drop would cascade-delete its
    # transactions); PostgreSQL alters it in place.
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("customer", recreate=recreate) as batch:
        batch.add_column(sa.Column("note", sa.String(20), nullable=True))
    {fail}


def downgrade():
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("note")
    op.drop_table("half_done")
'''


def test_a_failing_revision_leaves_nothing_half_done_and_a_rerun_carries_on(app, request, tmp_path, monkeypatch):
    with app.app_context():
        upgrade_database()
    request.getfixturevalue("cohort")  # 50 customers with their transactions
    directory = tmp_path / "migrations"
    shutil.copytree(app.extensions["migrate"].directory, directory)
    head = scripts(app).get_current_head()
    later = directory / "versions" / "9999_test.py"
    later.write_text(textwrap.dedent(FAILING_REVISION).format(head=head, fail='raise RuntimeError("interrupted")'))
    with app.app_context():
        rows = {
            "customers": db.session.scalar(select(func.count(Customer.id))),
            "transactions": db.session.scalar(select(func.count(Transaction.id))),
        }
    before = layout(app)
    assert rows["transactions"]  # children of customer, deleted with it if a copy cascaded

    with app.app_context(), pytest.raises(RuntimeError, match="interrupted"):
        upgrade_database(directory=str(directory))
    assert layout(app) == before  # no half_done table, customer not altered, still at the old head
    monkeypatch.setattr(app.extensions["migrate"].migrate, "directory", str(directory))  # as if shipped
    stopped = invoke(app, "init-db")
    assert stopped.exit_code == 1 and "Traceback" not in stopped.output
    assert f"RuntimeError: interrupted). That revision was rolled back; the database is at {head}" in stopped.output
    assert layout(app) == before

    later.write_text(textwrap.dedent(FAILING_REVISION).format(head=head, fail="pass"))
    with app.app_context():
        done = upgrade_database()
        assert (done.before, done.after) == (head, "9999_test")
        assert {
            "customers": db.session.scalar(select(func.count(Customer.id))),
            "transactions": db.session.scalar(select(func.count(Transaction.id))),
        } == rows
        if not ON_POSTGRES:  # the pooled connection got its foreign keys back
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert "half_done" in layout(app)["tables"] and "note" in layout(app)["tables"]["customer"][0]


def test_a_database_at_a_revision_this_release_does_not_know_is_refused(app):
    with app.app_context():
        upgrade_database()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
        with pytest.raises(SchemaError, match="from_the_future"):
            upgrade_database()
    assert "could not be upgraded" in invoke(app, "bootstrap").output
