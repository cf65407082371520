"""The trainer console: cohorts, policies (new contacts only), assignments, accounts, the scenario
library with a broken file, and subject access / erasure for learners."""

import html
import json
import shutil

import pytest
from sqlalchemy import select

from crm_sandbox.admin import gdpr
from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Event, User
from crm_sandbox.operations.cohorts import assignments
from crm_sandbox.operations.desk.lifecycle import open_contact
from tests.conftest import flashes

POLICY_FORM = {
    "idv_factors": ["date_of_birth", "postcode"],
    "idv_required": "1",
    "lockout_attempts": "5",
    "authority_limit": "25.50",
    "late_log_minutes": "15",
    "panel_mode": "compare",
    "practice_mode": "on",
}


@pytest.fixture
def trainer(client, make_user, login):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    return client


def said(resp) -> str:
    return html.unescape(" ".join(flashes(resp.get_data(as_text=True))))


def test_create_open_and_close_a_cohort(app, trainer):
    resp = trainer.post("/trainer/cohorts", data={"name": "  March   group "}, follow_redirects=True)
    assert "Created March group" in said(resp)
    with app.app_context():
        cohort = db.session.execute(select(Cohort).where(Cohort.name == "March group")).scalar_one()
        assert cohort.status == "open" and cohort.policy["idv_required"] == 2
        cid = cohort.id
    assert "already a cohort" in said(
        trainer.post("/trainer/cohorts", data={"name": "March group"}, follow_redirects=True)
    )
    assert "now closed" in said(
        trainer.post(f"/trainer/cohorts/{cid}/status", data={"status": "closed"}, follow_redirects=True)
    )
    assert "March group" in trainer.get("/trainer/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cohort, cid).status == "closed"
        with pytest.raises(ServiceError, match="is closed"):
            assignments.assign(cid, ["balance-enquiry"])


def test_a_policy_change_applies_to_contacts_opened_after_it_only(app, trainer, cohort, make_user):
    learner = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    with app.app_context():
        first, second = (
            db.session.execute(select(Contact.id).where(Contact.learner_id == learner).order_by(Contact.position))
            .scalars()
            .all()
        )
        open_contact(db.session.get(Contact, first), db.session.get(User, learner))
    resp = trainer.post(f"/trainer/cohorts/{cohort}/policy", data=POLICY_FORM, follow_redirects=True)
    assert "Policy saved" in said(resp)
    with app.app_context():
        policy = db.session.get(Cohort, cohort).policy
        assert policy["idv_factors"] == ["date_of_birth", "postcode"] and policy["authority_limit"] == 25.5
        assert policy["practice_mode"] is True and "on_failure" in policy  # settings not on the form are kept
        open_contact(db.session.get(Contact, second), db.session.get(User, learner))
        db.session.expire_all()
        assert db.session.get(Contact, first).policy["idv_required"] == 2  # opened before: keeps its policy
        assert db.session.get(Contact, first).policy["lockout_attempts"] == 3
        assert db.session.get(Contact, second).policy == policy  # opened after: the new one


def test_assign_in_order_to_one_learner_or_the_whole_cohort(app, trainer, cohort, make_user):
    l1, l2 = make_user("learner1"), make_user("learner2")
    assessor = make_user("assessor1", "assessor")
    resp = trainer.post(
        f"/trainer/cohorts/{cohort}/assign",
        data={
            "learner": "all",
            "scenarios": ["balance-enquiry", "impostor-takeover", "change-of-address"],
            "order-impostor-takeover": "1",
            "mode": "practice",
        },
        follow_redirects=True,
    )
    assert "6 contact(s) queued" in said(resp)
    resp = trainer.post(
        f"/trainer/cohorts/{cohort}/assign",
        data={
            "learner": str(l2),
            "scenarios": ["refund-above-authority"],
            "mode": "assessment",
            "assessor_id": str(assessor),
        },
        follow_redirects=True,
    )
    assert "1 contact(s) queued" in said(resp)
    with app.app_context():

        def queue(uid):
            return [
                (c.scenario_id, c.mode, c.assessor_id)
                for c in db.session.execute(
                    select(Contact).where(Contact.learner_id == uid).order_by(Contact.position)
                ).scalars()
            ]

        order = ["impostor-takeover", "balance-enquiry", "change-of-address"]
        assert queue(l1) == [(s, "practice", None) for s in order]
        assert queue(l2) == [(s, "practice", None) for s in order] + [
            ("refund-above-authority", "assessment", assessor)
        ]


@pytest.mark.parametrize(
    "form, message",
    [
        ({"scenarios": []}, "Choose at least one scenario"),
        ({"scenarios": ["no-such"]}, "There is no scenario 'no-such'"),
        ({"scenarios": ["balance-enquiry"], "mode": "assessment"}, "needs an active assessor"),
        ({"scenarios": ["balance-enquiry"], "mode": "exam"}, "practice or observed assessment"),
    ],
)
def test_bad_assignments_change_nothing(app, trainer, cohort, make_user, form, message):
    make_user("learner1")
    resp = trainer.post(
        f"/trainer/cohorts/{cohort}/assign", data={"learner": "all", "mode": "practice", **form}, follow_redirects=True
    )
    assert message in said(resp)
    with app.app_context():
        assert db.session.execute(select(Contact.id)).first() is None


def test_a_disabled_account_cannot_sign_in(app, client, trainer, make_user, login):
    learner = make_user("learner1")
    resp = trainer.post(f"/trainer/users/{learner}/active", data={"active": "0"}, follow_redirects=True)
    assert "learner1 is now disabled" in said(resp)
    client.post("/auth/logout")
    assert "do not match an active account" in login("learner1").get_data(as_text=True)


def test_scenario_library_lists_briefs_and_shows_a_broken_file_disabled(app, trainer, tmp_path):
    seed = tmp_path / "seed"
    shutil.copytree(app.config["SEED_DIR"], seed)
    (seed / "scenarios" / "broken-one.yaml").write_text("id: broken-one\ntitle: [unclosed\n")
    (seed / "scenarios" / "no-caller.yaml").write_text("id: no-caller\ntitle: T\nchannel: fax\n")
    app.config["SEED_DIR"] = str(seed)
    page = trainer.get("/trainer/scenarios").get_data(as_text=True)
    assert "Balance enquiry" in page and "Role-player brief" in page and "retired school caretaker" in page
    assert 'id="scenario-broken-one" class="disabled"' in page and "not valid YAML" in page
    assert "channel must be one of" in page
    assert page.count('badge-bad">Disabled') == 2
    assert trainer.get("/trainer/").status_code == 200  # the app keeps working


def test_subject_access_export_holds_account_contacts_and_events(app, trainer, cohort, make_user):
    learner = make_user("learner1", queue=["balance-enquiry"])
    with app.app_context():
        contact = db.session.execute(select(Contact).where(Contact.learner_id == learner)).scalar_one()
        open_contact(contact, db.session.get(User, learner))
    resp = trainer.get(f"/trainer/users/{learner}/export")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    doc = json.loads(resp.data)
    assert doc["format"] == gdpr.FORMAT and doc["account"]["username"] == "learner1"
    assert doc["account"]["cohort"] == "Test cohort" and "password_hash" not in json.dumps(doc)
    [c] = doc["contacts"]
    assert c["scenario_id"] == "balance-enquiry" and [e["type"] for e in c["events"]][:1] == ["contact.opened"]


def test_erasure_pseudonymises_the_learner_and_keeps_anonymised_evidence(
    app, client, trainer, cohort, make_user, login
):
    learner = make_user("learner1", queue=["balance-enquiry"])
    with app.app_context():
        contact = db.session.execute(select(Contact).where(Contact.learner_id == learner)).scalar_one()
        open_contact(contact, db.session.get(User, learner))
        events_before = db.session.execute(select(Event.id).where(Event.contact_id == contact.id)).scalars().all()
    resp = trainer.post(f"/trainer/users/{learner}/erase", data={"confirm": "wrong"}, follow_redirects=True)
    assert "type the learner's username exactly" in said(resp)
    resp = trainer.post(f"/trainer/users/{learner}/erase", data={"confirm": "learner1"}, follow_redirects=True)
    assert f"erased-learner-{learner}" in said(resp)
    with app.app_context():
        user = db.session.get(User, learner)
        assert user.username == user.display_name == f"erased-learner-{learner}"
        assert not user.active and user.erased_at is not None
        assert (
            db.session.execute(select(Event.id).where(Event.contact_id == contact.id)).scalars().all() == events_before
        )
        doc = gdpr.subject_access_export(learner)
        assert "learner1" not in json.dumps(doc)
        with pytest.raises(ServiceError):
            gdpr.erase_learner(learner, f"erased-learner-{learner}")  # once only
    client.post("/auth/logout")
    assert "do not match" in login("learner1").get_data(as_text=True)
    assert "do not match" in login(f"erased-learner-{learner}").get_data(as_text=True)


def test_cohort_page_renders_every_section(app, trainer, cohort, make_user):
    make_user("learner1", queue=["balance-enquiry"])
    make_user("assessor1", "assessor")
    page = trainer.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)
    for text in (
        "Import accounts",
        "Assign scenarios",
        "Policy",
        "Reset this cohort",
        "learner1",
        "assessor1",
        "1. Balance enquiry",
    ):
        assert text in page, text
