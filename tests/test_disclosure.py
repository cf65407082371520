"""Who saw what (issue 16, item 3): every display of a customer's personal data leaves a ``data_view`` row
with the fields shown and the entitlement, and a trainer (or an assessor as IQA) reads it on a page per
contact, per customer and per cohort."""

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from crm_sandbox import ledger
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, DataView, User
from tests.helpers import signed_in
from tests.test_learner_desk import open_record, page, pass_verification

SCENARIOS = ["balance-enquiry", "change-of-address"]


@pytest.fixture
def world(app, make_user, login, contact_of, client):
    """learner1 (signed in on ``client``) with two contacts; assessor1 and trainer1 exist."""
    learner_id = make_user("learner1", queue=SCENARIOS)
    make_user("assessor1", "assessor")
    make_user("trainer1", "trainer", in_cohort=False)
    login("learner1")
    contact_id = contact_of(learner_id, "balance-enquiry")
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        c = contact.customer
        facts = {
            "learner_id": learner_id,
            "contact_id": contact_id,
            "queued_id": contact_of(learner_id, "change-of-address"),
            "cohort_id": contact.cohort_id,
            "customer_id": c.id,
            "ref": c.ref,
            "last_name": c.last_name,
            "postcode": c.postcode,
            "dob": c.date_of_birth,
        }
    return facts


def views(app, **where) -> list[DataView]:
    with app.app_context():
        stmt = select(DataView).order_by(DataView.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(DataView, name) == value)
        rows = list(db.session.execute(stmt).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def last(app, kind: str) -> DataView:
    rows = views(app, kind=kind)
    assert rows, f"no {kind} view recorded"
    return rows[-1]


def disclosures_page(app, path: str) -> str:
    trainer = signed_in(app, "trainer1")
    resp = trainer.get(path)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def test_learner_first_and_repeat_views_masked_then_verified(app, client, world):
    open_record(client, world)
    page(client, world)  # the record panel, masked
    first = last(app, "learner-record")
    assert first.customer_id == world["customer_id"] and first.contact_id == world["contact_id"]
    assert "last_name" in first.fields and "date_of_birth" not in first.fields
    assert first.entitled is True and first.role == "learner" and "not verified" in first.detail
    page(client, world)  # reloaded: the same fields again
    repeat = last(app, "learner-repeat")
    assert repeat.fields == first.fields and repeat.entitled is True

    pass_verification(client, world)
    page(client, world)  # unmasked now: a first view of these fields
    verified = last(app, "learner-record")
    assert verified.id > repeat.id
    assert {"date_of_birth", "account_number", "balance", "transactions", "history"} <= set(verified.fields)
    assert verified.entitled is True and "ID&V verified" in verified.detail

    # the case: reloading a closed contact shows the unmasked record again; now recorded
    client.post(f"/learner/contacts/{world['contact_id']}/close", data={"outcome": "resolved", "resolved": "yes"})
    page(client, world)
    closed = last(app, "learner-repeat")
    assert closed.id > verified.id and "balance" in closed.fields and "contact closed" in closed.detail

    html = disclosures_page(app, f"/trainer/contacts/{world['contact_id']}/disclosures")
    assert "Learner desk: record panel (first view of these fields)" in html
    assert "Learner desk: record panel (shown again)" in html
    assert "date_of_birth" in html and "learner1" in html and "all entitled" in html
    assert world["postcode"] not in html and world["dob"] not in html  # fields are named, never shown


def test_search_results_record_the_identifying_fields_of_every_record_listed(app, client, world):
    cid = world["contact_id"]
    client.post(f"/learner/contacts/{cid}/open")
    client.post(f"/learner/contacts/{cid}/search", data={"query": world["last_name"]})
    page(client, world)
    listed = last(app, "search-results")
    assert listed.fields == ["title", "first_name", "last_name", "town", "postcode_area"]
    assert listed.entitled is True and world["ref"] in listed.customer_refs and listed.customer_id is None
    assert world["last_name"] not in listed.detail  # the query (personal data) is not copied
    # shown on the customer's own page, found through the list it was in
    html = disclosures_page(app, f"/trainer/cohorts/{world['cohort_id']}/customers/{world['ref']}/disclosures")
    assert "Learner desk: search results" in html and "postcode_area" in html


def test_compare_mode_before_idv_is_recorded_as_not_entitled_and_named_on_the_review(app, client, world):
    with app.app_context():
        cohort = db.session.get(Contact, world["contact_id"]).cohort
        cohort.policy = {**cohort.policy, "panel_mode": "compare"}
        db.session.commit()
    open_record(client, world)
    assert "On file: " + world["postcode"] in page(client, world)
    seen = last(app, "learner-record")
    assert seen.entitled is False and "compare mode" in seen.detail
    assert "postcode (on file, ID&V panel)" in seen.fields and "date_of_birth (on file, ID&V panel)" in seen.fields

    html = disclosures_page(app, f"/trainer/contacts/{world['contact_id']}/disclosures")
    assert "1 not entitled" in html and "not-entitled" in html

    assessor = signed_in(app, "assessor1")
    review = assessor.get(f"/assessor/contacts/{world['contact_id']}/review").get_data(as_text=True)
    assert 'id="compare-mode"' in review and "before the caller passed ID&amp;V" in review
    assert f'href="/trainer/contacts/{world["contact_id"]}/disclosures"' in review
    report = assessor.get(f"/reports/contacts/{world['contact_id']}").get_data(as_text=True)
    assert "ID&amp;V panel in compare mode" in report
    pdf = assessor.get(f"/reports/contacts/{world['contact_id']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_staff_views_observe_review_reports_and_exports_are_recorded(app, client, world):
    cid = world["contact_id"]
    open_record(client, world)
    client.post(f"/learner/contacts/{cid}/messages", data={"text": "Hello, can I take your date of birth?"})
    page(client, world)
    assessor = signed_in(app, "assessor1")
    assert assessor.get(f"/assessor/contacts/{cid}/observe").status_code == 200
    observed = last(app, "observe")
    assert observed.role == "assessor" and observed.entitled is True and observed.customer_id == world["customer_id"]
    assert {"date_of_birth", "postcode", "memorable_word", "conversation"} <= set(observed.fields)

    # the case: a contact the learner never opened, observed anyway: recorded, not entitled
    assert assessor.get(f"/assessor/contacts/{world['queued_id']}/observe").status_code == 200
    queued = last(app, "observe")
    assert queued.contact_id == world["queued_id"] and queued.entitled is False and "queued" in queued.detail

    assert assessor.get(f"/assessor/contacts/{cid}/review").status_code == 200
    assert last(app, "review").contact_id == cid
    assert assessor.get(f"/reports/contacts/{cid}").status_code == 200
    assert last(app, "report").role == "assessor"
    assert assessor.get(f"/reports/contacts/{cid}.pdf").status_code == 200
    assert last(app, "report-pdf").contact_id == cid
    assert assessor.get(f"/reports/learners/{world['learner_id']}").status_code == 200
    assert world["ref"] in last(app, "learner-report").customer_refs
    assert assessor.get(f"/reports/learners/{world['learner_id']}.pdf").status_code == 200
    pack = assessor.get(f"/reports/learners/{world['learner_id']}/evidence-pack.zip")
    assert pack.status_code == 200
    packed = last(app, "pack")
    assert packed.contact_id is None and world["ref"] in packed.customer_refs and packed.entitled is True
    # the pack carries who saw its contacts' data (what a reset archives)
    shown = json.loads(zipfile.ZipFile(io.BytesIO(pack.data)).read("disclosures.json"))
    assert shown["format"] == "crm-sandbox/disclosures@1"
    assert {v["kind"] for v in shown["views"]} >= {"learner-record", "observe", "review"}

    trainer = signed_in(app, "trainer1")
    assert trainer.get(f"/assessor/contacts/{cid}/review").status_code == 200
    assert last(app, "review").role == "trainer"

    html = disclosures_page(app, f"/trainer/contacts/{cid}/disclosures")
    for label in (
        "Live observation",
        "Assessor&#39;s review",
        "Report (PDF)",
        "Learner&#39;s record (PDF)",
        "Evidence pack",
    ):
        assert label in html, label
    assert "assessor1" in html and "trainer1" in html
    queued_page = disclosures_page(app, f"/trainer/contacts/{world['queued_id']}/disclosures")
    assert "1 not entitled" in queued_page and "contact still queued" in queued_page
    console = disclosures_page(app, "/trainer/")
    assert f'href="/trainer/cohorts/{world["cohort_id"]}/disclosures"' in console
    cohort_page = disclosures_page(app, f"/trainer/cohorts/{world['cohort_id']}/disclosures")
    assert "Live observation" in cohort_page and "Learner desk" in cohort_page


def test_the_learner_reading_their_released_report_is_recorded(app, client, world, monkeypatch):
    from crm_sandbox.views import learner as learner_views

    class Released:
        events: list = []

    monkeypatch.setattr(learner_views, "released_review", lambda contact: Released())
    monkeypatch.setattr(learner_views, "review_page", lambda *args: "report")
    client.post(f"/learner/contacts/{world['contact_id']}/open")
    assert client.get(f"/learner/contacts/{world['contact_id']}/report").status_code == 200
    seen = last(app, "report")
    assert seen.role == "learner" and seen.entitled is True and "released report" in seen.detail


def test_cli_exports_are_recorded_as_the_operator(app, client, runner, world, tmp_path):
    client.post(f"/learner/contacts/{world['contact_id']}/open")
    result = runner.invoke(args=["export-session", str(world["contact_id"])])
    assert result.exit_code == 0, result.output
    exported = last(app, "export")
    assert exported.user_id is None and exported.role == "operator" and "date_of_birth" in exported.fields
    result = runner.invoke(args=["export-pack", "learner1", "-o", str(tmp_path / "p.zip")])
    assert result.exit_code == 0, result.output
    assert last(app, "pack").role == "operator"
    html = disclosures_page(app, f"/trainer/contacts/{world['contact_id']}/disclosures")
    assert "command line" in html and "Session export" in html


def test_disclosure_pages_check_who_asks(app, client, world, make_user):
    assert client.get(f"/trainer/contacts/{world['contact_id']}/disclosures").status_code == 403  # a learner
    assessor = signed_in(app, "assessor1")
    assert assessor.get(f"/trainer/contacts/{world['contact_id']}/disclosures").status_code == 200  # as IQA
    assert assessor.get("/trainer/contacts/999999/disclosures").status_code == 404
    assert assessor.get(f"/trainer/cohorts/{world['cohort_id'] + 99}/disclosures").status_code == 404
    assert assessor.get(f"/trainer/cohorts/{world['cohort_id']}/customers/bad%20ref!/disclosures").status_code == 404
    trainer = signed_in(app, "trainer1")
    assert trainer.get(f"/trainer/cohorts/{world['cohort_id']}/customers/{'x' * 40}/disclosures").status_code == 404


def test_views_are_evidence_in_the_ledger_and_archived_by_a_reset(app, client, world, runner):
    open_record(client, world)
    page(client, world)
    with app.app_context():
        row = db.session.execute(select(DataView).order_by(DataView.id.desc())).scalars().first()
        assert row is not None
        ref = f"data_view:{row.id}"
        from crm_sandbox.models import LedgerLeaf

        assert db.session.execute(select(LedgerLeaf).where(LedgerLeaf.ref == ref)).scalars().first() is not None
        assert ledger.verify().ok, ledger.verify().problems
        # an edited disclosure row is caught like any other evidence
        db.session.execute(DataView.__table__.update().where(DataView.id == row.id).values(entitled=not row.entitled))
        db.session.commit()
        assert any(ref in p or f"data view {row.id}" in p for p in ledger.verify().problems)
        db.session.execute(DataView.__table__.update().where(DataView.id == row.id).values(entitled=row.entitled))
        db.session.commit()
    client.post(f"/learner/contacts/{world['contact_id']}/close", data={"outcome": "resolved", "resolved": "yes"})
    result = runner.invoke(args=["reset-cohort", "Test cohort", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(func.count(DataView.id))).scalar() == 0
        assert db.session.execute(select(User).where(User.username == "trainer1")).scalar_one()


def test_live_timeline_polls_that_bring_customer_data_and_subject_access_exports_are_recorded(app, client, world):
    cid = world["contact_id"]
    client.post(f"/learner/contacts/{cid}/open")
    assessor = signed_in(app, "assessor1")
    assert assessor.get(f"/assessor/contacts/{cid}/observe").status_code == 200
    seen = assessor.get(f"/assessor/contacts/{cid}/timeline?after=0").get_json()["last_seq"]
    before = len(views(app, kind="observe"))
    assessor.get(f"/assessor/contacts/{cid}/timeline?after={seen}")  # nothing new: nothing recorded
    assert len(views(app, kind="observe")) == before
    client.post(f"/learner/contacts/{cid}/search", data={"query": world["last_name"]})
    assessor.get(f"/assessor/contacts/{cid}/timeline?after={seen}")  # the search reaches the assessor
    polled = last(app, "observe")
    assert "search_query" in polled.fields and polled.detail.startswith("live timeline update")
    trainer = signed_in(app, "trainer1")
    assert trainer.get(f"/trainer/users/{world['learner_id']}/export").status_code == 200
    export = last(app, "subject-access")
    assert "search_query" in export.fields and export.user_id is not None and "learner1" not in export.detail
    assert all("learner1" not in v.detail for v in views(app))  # no username kept: erasure-proof
