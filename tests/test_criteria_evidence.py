"""Evidence linked by relevance (seed/criteria.yaml `evidence`, compliance/relevance.py) on played contacts."""

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact
from crm_sandbox.operations.desk.identity import memorable_positions, ordinal
from crm_sandbox.queries.review import contact_review
from tests.helpers import customer_of
from tests.test_scenario_playthrough import SCRIPTS, Play


def play(app, client, make_user, login, contact_of, events_of, scenario_id, script=None, username="learner1"):
    learner = make_user(username, queue=[scenario_id])
    login(username)
    contact_id = contact_of(learner, scenario_id)
    customer = customer_of(app, contact_id)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        channel, subject = contact.channel, contact.scenario["caller"].get("subject") or contact.title
    a, b = memorable_positions(contact_id, customer["memorable_word"])
    p = Play(app, client, contact_id, channel, subject, customer, events_of)
    p.values = {**customer, "balance_money": money(customer["balance"]), "chars": f"{ordinal(a)} and {ordinal(b)}"}
    for step in script or SCRIPTS[scenario_id]:
        step.run(p)
    return learner, contact_id


@pytest.mark.parametrize("scenario_id", sorted(SCRIPTS))
def test_dump(app, client, make_user, login, contact_of, events_of, scenario_id):
    from crm_sandbox.compliance import relevance
    from crm_sandbox.compliance.document import parse_session
    from crm_sandbox.queries.session_export import session_document
    _, cid = play(app, client, make_user, login, contact_of, events_of, scenario_id)
    with app.app_context():
        contact = db.session.get(Contact, cid)
        review = contact_review(contact)
        ev = relevance.evidence(parse_session(session_document(contact)), review.spelling)
        with open(f"/tmp/crit/{scenario_id}.txt", "w") as out:
            for e in review.events:
                out.write(f"{e.seq:3} {e.type:18} {e.actor:8} {str(e.data.get('text') or e.data)[:110]}\n")
            for k, v in ev.items():
                out.write(f"{k}: {list(v)}\n")
            out.write(f"spelling {review.spelling}\n")
