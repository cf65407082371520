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
from sqlalchemy import MetaData, func, inspect, select, text

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
from tests.conftest import ON_POSTGRES, dispose_engines, make_test_app
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


@pytest.mark.parametrize(
    "made_by, upgraded_by", [("migrations", ("db", "upgrade")), ("previous release", ("bootstrap",))]
)
def test_evidence_recorded_before_an_upgrade_still_verifies(app, request, tmp_path, database_uri, made_by, upgraded_by):
    """Evidence stored in an older layout verifies after the upgrade, unchanged.

    The evidence is recorded by today's code on a database at head, then copied, column by column, into a
    database of the older layout (the columns that layout has: what that release stored), which is then
    upgraded. (Today's code cannot write to the older layout itself once a later revision adds a column
    to a table it writes.)
    """
    with app.app_context():
        upgrade_database()
    request.getfixturevalue("reviewed")  # learner1's contact played, closed, reviewed and signed off
    assert invoke(app, "verify-log").exit_code == 0
    pack = tmp_path / "before.zip"
    assert invoke(app, "export-pack", "learner1", "-o", str(pack)).exit_code == 0

    old = make_test_app(database_uri("old.sqlite"), app.instance_path)  # the same keys
    try:
        if made_by == "migrations":
            with old.app_context():
                upgrade_database(BASELINE)
        else:
            make_previous_release_database(old)
        copied = copy_into_older_layout(app, old)
        evidence = {t: rows for t, rows in copied.items() if t in EVIDENCE}
        assert evidence["event"] and evidence["chain_seal"] and evidence["assessment"]

        result = invoke(old, *upgraded_by)
        assert result.exit_code == 0, result.output
        assert revision(old) == scripts(old).get_current_head() and differences_from_models(old) == []
        if made_by == "previous release":
            assert "Recognised a database of the release before migrations" in result.output

        assert read_columns(old, {t: cols for t, (cols, _) in evidence.items()}) == {
            t: rows for t, (_, rows) in evidence.items()
        }
        log = invoke(old, "verify-log")
        assert log.exit_code == 0 and log.output.startswith("OK: ") and "with signed heads" in log.output, log.output
        checked = invoke(old, "verify-pack", str(pack))
        assert checked.exit_code == 0 and checked.output.startswith("OK: "), checked.output
        after = tmp_path / "after.zip"
        assert invoke(old, "export-pack", "learner1", "-o", str(after)).exit_code == 0
        assert invoke(old, "verify-pack", str(after)).exit_code == 0
    finally:
        dispose_engines(old)


def copy_into_older_layout(source_app, target_app) -> dict[str, tuple[list[str], list[tuple]]]:
    """Copy every row of ``source_app``'s database into ``target_app``'s older tables, keeping only the
    columns the older tables have; returns ``{table: (columns, rows)}`` as copied."""
    copied: dict[str, tuple[list[str], list[tuple]]] = {}
    with target_app.app_context():
        target = db.engine
        found = MetaData()
        found.reflect(target)
    with source_app.app_context(), db.engine.connect() as src, target.begin() as dst:
        source = MetaData()
        source.reflect(src)
        for table in found.sorted_tables:  # parents before children
            if table.name == "alembic_version":
                continue
            columns = [c.name for c in table.columns]
            rows = [tuple(r) for r in src.execute(select(*(source.tables[table.name].c[c] for c in columns)))]
            if rows:
                dst.execute(table.insert(), [dict(zip(columns, r)) for r in rows])
            copied[table.name] = (columns, rows)
    return copied


def read_columns(app, wanted: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """The rows of each table, only the columns named, in the order they were inserted (by id)."""
    with app.app_context(), db.engine.connect() as conn:
        found = MetaData()
        found.reflect(conn)
        return {
            t: [
                tuple(r)
                for r in conn.execute(select(*(found.tables[t].c[c] for c in cols)).order_by(found.tables[t].c.id))
            ]
            for t, cols in wanted.items()
        }


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
