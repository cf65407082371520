"""A database from before the summaries: the app runs on it without them (the dashboard derives them), and
the upgrade to 0008_contact_summary backfills every contact's summary from its events."""

import pytest
from sqlalchemy import inspect, select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from crm_sandbox.operations import summaries
from crm_sandbox.queries.dashboard import cohort_dashboard
from tests.conftest import dispose_engines, make_test_app
from tests.reporting import reviewed  # noqa: F401  (fixture)

BEFORE_SUMMARIES = "0007_data_view"


@pytest.fixture
def app(tmp_path, database_uri):
    """An app on a database at the schema before the summaries (no contact_summary table)."""
    from crm_sandbox.schema import upgrade_database

    app = make_test_app(database_uri("test.sqlite"), tmp_path / "instance")
    with app.app_context():
        upgrade_database(BEFORE_SUMMARIES)
    yield app
    dispose_engines(app)


def test_upgrade_backfills_the_summaries_of_existing_contacts(app, reviewed):  # noqa: F811
    cid = reviewed["contact_id"]
    with app.app_context():
        assert not inspect(db.engine).has_table("contact_summary")
        cohort_id = db.session.get(Contact, cid).cohort_id
        before = {
            r.contact.id: (r.status, r.findings, r.kpis) for lr in cohort_dashboard(cohort_id) for r in lr.contacts
        }
        assert before[cid][0] == "reviewed"  # derived as the page is read
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        app.extensions.pop("summaries_enabled", None)
        ids = list(db.session.execute(select(Contact.id)).scalars())
        kept, rebuilt = summaries.stored(db.session(), ids), summaries.derive(db.session(), ids)
        assert kept == rebuilt and kept[cid]["status"] == "reviewed" and kept[cid]["events"] > 0
        after = {
            r.contact.id: (r.status, r.findings, r.kpis) for lr in cohort_dashboard(cohort_id) for r in lr.contacts
        }
        assert after == before  # the same dashboard, now read from the backfilled summaries
