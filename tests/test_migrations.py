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
from tests.conftest import ON_POSTGRES, dispose_engines, make_test_app

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


def baseline_rows(app, tables=EVIDENCE) -> dict:
    """Every row of ``tables``, in id order, as the baseline's columns (what an upgrade must not change)."""
    meta = baseline_metadata(scripts(app))
    with app.app_context(), db.engine.connect() as conn:
        return {
            t: conn.execute(
                text(f"SELECT {', '.join(c.name for c in meta.tables[t].columns)} FROM {t} ORDER BY id")  # noqa: S608
            ).all()
            for t in tables
        }


def review_as_the_previous_release_did(app, contact_id: int) -> None:
    """The review rows the release before this one wrote: every finding confirmed, DP1 not met (met=False),
    LOG1 met (met=True), one assessment signed off and acknowledged (its table had no version then).
    Written as SQL: the models of this release have columns the old tables lack."""
    with app.app_context(), db.engine.begin() as conn:
        assessor = conn.execute(text("SELECT id FROM user WHERE username = 'assessor1'")).scalar_one()
        now = "2026-03-14 10:42:00"
        for (fid,) in conn.execute(text("SELECT id FROM finding WHERE contact_id = :c AND active"), {"c": contact_id}):
            conn.execute(
                text(
                    "INSERT INTO finding_decision (finding_id, assessor_id, decision, comment, at) "
                    "VALUES (:f, :a, 'confirmed', 'Stands.', :at)"
                ),
                {"f": fid, "a": assessor, "at": now},
            )
        for crit, met in (("verify-identity", False), ("contemporaneous-logging", True)):
            conn.execute(
                text(
                    "INSERT INTO criterion_judgement (contact_id, criterion_id, met, comment, assessor_id, at) "
                    "VALUES (:c, :crit, :met, 'Old judgement.', :a, :at)"
                ),
                {"c": contact_id, "crit": crit, "met": met, "a": assessor, "at": now},
            )
        conn.execute(
            text(
                "INSERT INTO assessment (contact_id, assessor_id, outcome, feedback, signed_at, released_at, "
                "learner_comment, acknowledged_at) VALUES (:c, :a, 'not_yet_competent', 'Ask open questions.', "
                ":at, :at, 'Understood.', :at)"
            ),
            {"c": contact_id, "a": assessor, "at": now},
        )


@pytest.mark.skipif(ON_POSTGRES, reason="the old review rows are written in SQLite's SQL")
@pytest.mark.parametrize(
    "made_by, upgraded_by", [("migrations", ("db", "upgrade")), ("previous release", ("bootstrap",))]
)
def test_evidence_recorded_before_an_upgrade_still_verifies(app, request, tmp_path, made_by, upgraded_by):
    """Evidence recorded by the previous release (events, seals, findings, decisions, judgements and a signed
    assessment) is kept exactly, still verifies, and reads meaningfully: met=True -> "met", met=False ->
    "not_met"; the old assessment is version 1 and stands, acknowledged."""
    from crm_sandbox.models import Contact
    from crm_sandbox.queries.review import contact_review
    from tests.reporting import play_change_of_address

    if made_by == "migrations":
        with app.app_context():
            upgrade_database(BASELINE)
    else:
        make_previous_release_database(app)
    # the fixtures that write, asked for once the tables exist
    make_user, login, contact_of, client = (
        request.getfixturevalue(f) for f in ("make_user", "login", "contact_of", "client")
    )
    uid = make_user("learner1", queue=["change-of-address"])
    make_user("assessor1", "assessor")
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    play_change_of_address(app, client, cid)
    review_as_the_previous_release_did(app, cid)
    assert invoke(app, "verify-log").exit_code == 0
    evidence = baseline_rows(app)
    assert evidence["event"] and evidence["chain_seal"] and evidence["assessment"]

    result = invoke(app, *upgraded_by)
    assert result.exit_code == 0, result.output
    assert revision(app) == scripts(app).get_current_head() and differences_from_models(app) == []
    if made_by == "previous release":
        assert "Recognised a database of the release before migrations" in result.output

    assert baseline_rows(app) == evidence
    with app.app_context():
        review = contact_review(db.session.get(Contact, cid))
        statuses = {row.criterion.id: row.status for row in review.criteria}
        assert statuses["verify-identity"] == "not_met" and statuses["contemporaneous-logging"] == "met"
        a = review.assessment
        assert a is not None and a.version == 1 and a.voided_at is None and a.acknowledged_at is not None
        assert review.versions == [a] and a.snapshot is None
    log = invoke(app, "verify-log")
    assert log.exit_code == 0 and log.output.startswith("OK: ") and "with signed heads" in log.output, log.output
    after = tmp_path / "after.zip"
    assert invoke(app, "export-pack", "learner1", "-o", str(after)).exit_code == 0
    checked = invoke(app, "verify-pack", str(after))
    assert checked.exit_code == 0 and checked.output.startswith("OK: "), checked.output


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
