"""Level 3 forms sent with nonsense: a plain message or a 404, never a 500, and nothing recorded."""

import pytest

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Level3Event, Level3Task, User
from tests.helpers import signed_in

JUNK = ["", "x" * 20_000, "<script>alert(1)</script>", "999999999999999999999999", "\x00", "-1"]


@pytest.fixture
def tasks(app, make_user):
    lead = make_user("lead1")
    make_user("trainer1", "trainer", in_cohort=False)
    make_user("assessor1", "assessor")
    with app.app_context(), write_transaction():
        db.session.get(User, lead).qualification = "icq-l3-nvq-cco"
        cohort = db.session.get(User, lead).cohort_id
    trainer = signed_in(app, "trainer1")
    for kind in ("quality_review", "performance", "root_cause"):
        trainer.post(
            f"/level3/cohorts/{cohort}/assign",
            data={
                "learner": lead,
                "kind": kind,
                "scorecard": "contact-quality",
                "items": ["sample:sample-balance-clean"],
            },
        )
    signed_in(app, "assessor1").post(f"/level3/cohorts/{cohort}/discussions", data={"learner": lead})
    with app.app_context():
        ids = [t.id for t in db.session.query(Level3Task).order_by(Level3Task.id)]
        assert len(ids) == 4
    return {"ids": ids, "cohort": cohort, "lead": lead}


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_every_level3_form_is_refused_plainly(app, tasks, junk):
    with app.app_context():
        before = db.session.query(Level3Event).count()
    lead, trainer, assessor = signed_in(app, "lead1"), signed_in(app, "trainer1"), signed_in(app, "assessor1")
    fields = {
        k: junk
        for k in (
            "item",
            "met",
            "auto_fail",
            "feedback",
            "measure",
            "agent",
            "cause",
            "contacts",
            "action",
            "cause-1",
            "complaints-1",
            "action-1",
            "learner",
            "kind",
            "scorecard",
            "items",
            "question",
            "answer",
            "judgement",
            "criteria",
            "outcome",
            "title",
            "criterion-icq3-review-contacts",
            "give",
        )
    }
    posts = [(lead, f"/level3/tasks/{t}/{action}") for t in tasks["ids"] for action in ("score", "analysis", "groups")]
    posts += [(assessor, f"/level3/tasks/{t}/{action}") for t in tasks["ids"] for action in ("questions", "sign")]
    posts += [(trainer, f"/level3/cohorts/{tasks['cohort']}/{action}") for action in ("assign", "targets")]
    for client, url in posts:
        resp = client.post(url, data=fields)
        assert resp.status_code in (303, 400, 404), (url, resp.status_code)  # 400: a NUL byte, refused by the app
    for client, url in [
        (lead, "/level3/tasks/999999"),
        (trainer, "/level3/cohorts/999999"),
        (trainer, "/level3/contacts/999999/reference"),
    ]:
        assert client.open(url, method="POST" if "reference" in url else "GET", data=fields).status_code in (400, 404)
    with app.app_context():
        assert db.session.query(Level3Event).count() == before  # nothing recorded from junk
    assert lead.get(f"/level3/tasks/{tasks['ids'][0]}").status_code == 200


def test_another_learners_task_is_not_found(app, tasks, make_user):
    make_user("other1")
    other = signed_in(app, "other1")
    for t in tasks["ids"]:
        assert other.get(f"/level3/tasks/{t}").status_code == 404
        assert other.post(f"/level3/tasks/{t}/score", data={"item": "sample:sample-balance-clean"}).status_code == 404
