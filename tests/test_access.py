"""Every route checks the role: a table of who may use each endpoint, walked for every role.

A new route without an entry here fails the test, so access rules are decided, not forgotten.
"""

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
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
}
ROLES = ("anonymous", "learner", "other_learner", "assessor", "trainer")


@pytest.fixture
def world(app, make_user, contact_of):
    ids = {
        "learner": make_user("owner1", queue=["balance-enquiry"]),
        "other_learner": make_user("other1", queue=["balance-enquiry"]),
        "assessor": make_user("assessor1", "assessor"),
        "trainer": make_user("trainer1", "trainer", in_cohort=False),
    }
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
    }


def cohort_of(app, contact_id: int) -> int:
    with app.app_context():
        return db.session.get(Contact, contact_id).cohort_id


def client_for(app, role):
    client = app.test_client()
    if role != "anonymous":
        username = {"learner": "owner1", "other_learner": "other1", "assessor": "assessor1", "trainer": "trainer1"}[
            role
        ]
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
