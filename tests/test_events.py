"""Events are append-only evidence: no service can change or delete one, and concurrent posts serialise."""

import threading

import pytest
from sqlalchemy import select

from crm_sandbox.database import EventImmutableError
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event
from tests.helpers import run_together, signed_in


@pytest.fixture
def opened(app, client, make_user, login, contact_of):
    uid = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(uid, "balance-enquiry")
    client.post(f"/learner/contacts/{cid}/open")
    with app.app_context():
        c = db.session.get(Contact, cid).customer
        client.post(f"/learner/contacts/{cid}/search", data={"query": c.last_name})
        client.post(f"/learner/contacts/{cid}/customers/{c.id}/view")
        return {"contact_id": cid, "customer_id": c.id, "postcode": c.postcode}


def test_an_event_cannot_be_changed(app, opened):
    with app.app_context():
        event = db.session.execute(select(Event)).scalars().first()
        event.data = {"tampered": True}
        with pytest.raises(EventImmutableError):
            db.session.commit()


def test_an_event_cannot_be_deleted(app, opened):
    with app.app_context():
        event = db.session.execute(select(Event)).scalars().first()
        db.session.delete(event)
        with pytest.raises(EventImmutableError):
            db.session.commit()


def test_no_route_edits_or_deletes_events(app):
    for rule in app.url_map.iter_rules():
        assert not ({"PUT", "PATCH", "DELETE"} & rule.methods), rule


def test_concurrent_verification_posts_record_one_answer(app, opened):
    """Two tabs send the same correct answer at once: one is recorded, the other is refused."""
    clients = [signed_in(app, "learner1") for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses = []

    def post(c):
        barrier.wait()
        resp = c.post(
            f"/learner/contacts/{opened['contact_id']}/verify",
            data={"customer_id": opened["customer_id"], "factor": "postcode", "answer": opened["postcode"]},
        )
        statuses.append(resp.status_code)

    run_together(post, [(c,) for c in clients])
    assert statuses == [303, 303]
    with app.app_context():
        answers = (
            db.session.execute(
                select(Event).where(Event.contact_id == opened["contact_id"], Event.type == "idv.answer")
            )
            .scalars()
            .all()
        )
        seqs = (
            db.session.execute(select(Event.seq).where(Event.contact_id == opened["contact_id"]).order_by(Event.seq))
            .scalars()
            .all()
        )
    assert len(answers) == 1
    assert seqs == list(range(1, len(seqs) + 1))
