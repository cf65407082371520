"""Every route checks the role: a table of who may use each endpoint, walked for every role.

A new route without an entry here fails the test, so access rules are decided, not forgotten.
"""

from datetime import timedelta

import pytest

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import AccountStanding, Contact, utcnow
from tests.conftest import PASSWORD

PUBLIC, ANY_USER, OWNER = "public", "any signed-in user", "the contact's learner"
# Reports: assessors and trainers, and the contact's own learner (who gets 404 until it is released).
STAFF_OR_OWNER = "assessors, trainers and the contact's learner"
ACCESS = {
    "static": PUBLIC,
    "index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ANY_USER,
    "learner.queue": {"learner"},
    "learner.contact": OWNER,
    "learner.open_contact": OWNER,
    "learner.search": OWNER,
    "learner.view_customer": OWNER,
    "learner.verify": OWNER,
    "learner.updates": OWNER,
    "learner.send_message": OWNER,
    "learner.search_articles": OWNER,
    "learner.read_article": OWNER,
    "learner.add_note": OWNER,
    "learner.amend_note": OWNER,
    "learner.update_details": OWNER,
    "learner.refund": OWNER,
    "learner.complaint": OWNER,
    "learner.escalate": OWNER,
    "learner.dial": OWNER,
    "learner.end_call": OWNER,
    "learner.refer": OWNER,
    "learner.close": OWNER,
    "assessor.dashboard": {"assessor", "trainer"},
    "assessor.observe": {"assessor", "trainer"},
    "assessor.timeline": {"assessor", "trainer"},
    "assessor.take_caller": {"assessor", "trainer"},
    "assessor.release_caller": {"assessor", "trainer"},
    "assessor.caller_message": {"assessor", "trainer"},
    "assessor.add_observation": {"assessor", "trainer"},
    "assessor.review": {"assessor", "trainer"},
    "assessor.decide": {"assessor", "trainer"},
    "assessor.add_finding": {"assessor", "trainer"},
    "assessor.judge": {"assessor", "trainer"},
    "assessor.sign_off": {"assessor", "trainer"},
    "assessor.reopen": {"assessor", "trainer"},
    "assessor.release": {"assessor", "trainer"},
    "learner.report": OWNER,
    "learner.acknowledge": OWNER,
    "learner.replay": OWNER,
    "assessor.replay": {"assessor", "trainer"},
    "trainer.console": {"trainer"},
    "reports.contact": STAFF_OR_OWNER,
    "reports.contact_pdf": STAFF_OR_OWNER,
    "reports.learner": {"assessor", "trainer"},
    "reports.learner_pdf": {"assessor", "trainer"},
    "reports.learner_pack": {"assessor", "trainer"},
    "reports.cohort_findings": {"assessor", "trainer"},
    "reports.public_key": PUBLIC,
    "health.healthz": PUBLIC,
    "auth.change_password": ANY_USER,
    "trainer.create_cohort": {"trainer"},
    "trainer.cohort": {"trainer"},
    "trainer.set_status": {"trainer"},
    "trainer.import_users": {"trainer"},
    "trainer.reissue_password": {"trainer"},
    "trainer.download_credentials": {"trainer"},
    "trainer.assign": {"trainer"},
    "trainer.update_policy": {"trainer"},
    "trainer.confirm_reset": {"trainer"},
    "trainer.reset": {"trainer"},
    "trainer.set_active": {"trainer"},
    "trainer.set_cohort_qualification": {"trainer"},
    "trainer.set_learner_qualification": {"trainer"},
    "trainer.export_learner": {"trainer"},
    "trainer.erase_learner": {"trainer"},
    "trainer.scenarios": {"trainer"},
    "trainer.archive_list": {"trainer"},
    "trainer.download_pack": {"trainer"},
    "trainer.archived_report": {"trainer"},
    "trainer.purge_archive": {"trainer"},
    "trainer.archive_subject_export": {"trainer"},
    "trainer.archive_subject_erase": {"trainer"},
    "trainer.contact_disclosures": {"assessor", "trainer"},
    "trainer.customer_disclosures": {"assessor", "trainer"},
    "trainer.cohort_disclosures": {"assessor", "trainer"},
    # Quality assurance (issue 20): the IQA samples and runs standardisation, the EQA reads (never writes),
    # assessors answer verdicts, mark blind and countersign, trainers manage QA accounts and standing.
    "quality.home": {"iqa", "eqa", "trainer"},
    "quality.cohort": {"iqa", "eqa", "trainer"},
    "quality.sample": {"iqa", "eqa", "trainer"},
    "quality.record_verdict": {"iqa"},
    "quality.mine": {"assessor"},
    "quality.answer_verdict": {"assessor"},
    "quality.countersign": {"assessor", "iqa"},
    "quality.create_exercise": {"iqa", "trainer"},
    "quality.exercise": {"iqa", "eqa", "trainer", "assessor"},
    "quality.mark": {"assessor"},
    "quality.submit_marks": {"assessor"},
    "quality.record_outcome": {"iqa", "trainer"},
    "quality.report_csv": {"iqa", "eqa", "trainer"},
    "quality.report_pdf": {"iqa", "eqa", "trainer"},
    "quality.archive": {"iqa", "eqa", "trainer"},
    "quality.archived_report": {"iqa", "eqa", "trainer"},
    "quality.archived_pack": {"iqa", "eqa", "trainer"},
    "quality.archived_learner_report": {"iqa", "eqa", "trainer"},
    "quality.accounts": {"trainer"},
    "quality.create_account": {"trainer"},
    "quality.set_standing": {"trainer"},
    # Level 3 work: learners their own tasks (another's is a 404), staff their cohort's.
    "level3.mine": {"learner"},
    "level3.set_consent": {"learner"},
    "level3.task": {"learner", "assessor", "trainer"},
    "level3.score": {"learner"},
    "level3.analyse": {"learner"},
    "level3.group": {"learner"},
    "level3.submit": {"learner"},
    "level3.dashboard": {"learner", "assessor", "trainer"},
    "level3.staff_home": {"assessor", "trainer"},
    "level3.cohort": {"assessor", "trainer"},
    "level3.assign": {"trainer"},
    "level3.targets": {"trainer"},
    "level3.reference": {"trainer"},
    "level3.start_discussion": {"assessor", "trainer"},
    "level3.question": {"assessor", "trainer"},
    "level3.sign": {"assessor", "trainer"},
    "level3.reopen": {"assessor", "trainer"},
}
ROLES = ("anonymous", "learner", "other_learner", "assessor", "trainer", "iqa", "eqa")


@pytest.fixture
def world(app, make_user, contact_of):
    ids = {
        "learner": make_user("owner1", queue=["balance-enquiry"]),
        "other_learner": make_user("other1", queue=["balance-enquiry"]),
        "assessor": make_user("assessor1", "assessor"),
        "trainer": make_user("trainer1", "trainer", in_cohort=False),
        "iqa": make_user("iqa1", "iqa"),
        "eqa": make_user("eqa1", "eqa", in_cohort=False),
    }
    expire(app, ids["eqa"], utcnow() + timedelta(days=30))  # an EQA account always has an expiry date
    contact_id = contact_of(ids["learner"], "balance-enquiry")
    with app.app_context():
        customer_id = db.session.get(Contact, contact_id).customer_id
    return {
        "contact_id": contact_id,
        "customer_id": customer_id,
        "filename": "css/app.css",
        "note_seq": 1,
        "slug": "idv-policy",
        "finding_id": 1,
        "criterion_id": "verify-identity",
        "cohort_id": cohort_of(app, contact_id),
        "user_id": ids["learner"],
        "pack_id": 1,
        "batch_id": 1,
        "run": "20260101T000000Z-g0-abcdef",
        "learner_id": ids["learner"],
        "ref": "cust-00001",
        "verdict_id": 1,
        "exercise_id": 1,
        "fmt": "pdf",
        "task_id": 1,
    }


def cohort_of(app, contact_id: int) -> int:
    with app.app_context():
        return db.session.get(Contact, contact_id).cohort_id


def client_for(app, role):
    client = app.test_client()
    if role != "anonymous":
        username = {
            "learner": "owner1",
            "other_learner": "other1",
            "assessor": "assessor1",
            "trainer": "trainer1",
            "iqa": "iqa1",
            "eqa": "eqa1",
        }[role]
        client.post("/auth/login", data={"username": username, "password": PASSWORD})
    return client


def allowed(rule_access, role) -> bool:
    if rule_access == PUBLIC:
        return True
    if rule_access == ANY_USER:
        return role != "anonymous"
    if rule_access == OWNER:
        return role == "learner"
    if rule_access == STAFF_OR_OWNER:
        return role in ("learner", "assessor", "trainer")
    return role.replace("other_", "") in rule_access


def test_every_route_has_an_access_rule(app):
    missing = {r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS)
    assert not missing, f"routes with no access rule in tests/test_access.py: {sorted(missing)}"


def test_every_route_enforces_its_access_rule(app, world):
    clients = {role: client_for(app, role) for role in ROLES}
    for rule in app.url_map.iter_rules():
        url = rule.build({k: world[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                resp = clients[role].open(url, method=method)
                where = f"{method} {url} as {role}"
                if allowed(ACCESS[rule.endpoint], role):
                    assert resp.status_code not in (401, 403), where
                    if ACCESS[rule.endpoint] not in (PUBLIC, ANY_USER):
                        assert "/auth/login" not in resp.headers.get("Location", ""), where
                elif role == "anonymous":
                    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"], where
                else:
                    assert resp.status_code == 403, where
                    assert "Not allowed" in resp.get_data(as_text=True), where
                if rule.endpoint == "auth.logout" and role != "anonymous":
                    clients[role] = client_for(app, role)  # sign back in after testing sign-out


def test_an_expired_eqa_account_cannot_sign_in_and_its_session_ends(app, make_user):
    eqa = make_user("eqa2", "eqa", in_cohort=False)
    expire(app, eqa, utcnow() + timedelta(days=1))
    client = client_for_user(app, "eqa2")
    assert client.get("/quality/").status_code == 200  # signed in while the account runs
    expire(app, eqa, utcnow() - timedelta(seconds=1))
    resp = client.get("/quality/")  # the live session ends with the account
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    again = app.test_client()
    page = again.post("/auth/login", data={"username": "eqa2", "password": PASSWORD}, follow_redirects=True)
    assert "do not match an active account" in page.get_data(as_text=True)
    assert again.get("/quality/").status_code == 302


def expire(app, user_id, when):
    with app.app_context(), write_transaction():
        standing = db.session.get(AccountStanding, user_id) or AccountStanding(user_id=user_id)
        standing.expires_at = when
        db.session.add(standing)


def client_for_user(app, username):
    client = app.test_client()
    client.post("/auth/login", data={"username": username, "password": PASSWORD})
    return client
