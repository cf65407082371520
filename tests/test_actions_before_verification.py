"""Refunds, credits and changes of details before ID&V passes: allowed and flagged by default, refused
when the trainer's policy blocks them."""

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from tests.helpers import check_answer, customer_of, messages_after, post, take_and_find, verify

SCENARIO = "missing-refund"
ACTIONS = [
    ("refund", {"amount": "5.00", "kind": "refund", "reason": "Fee refund"}, "refund.issued"),
    ("refund", {"amount": "5.00", "kind": "goodwill", "reason": "Sorry"}, "refund.issued"),
    ("details", {"field": "email", "value": "new@example.com"}, "record.updated"),
]


@pytest.fixture
def taken(app, client, make_user, login, contact_of):
    """learner1 signed in, the contact taken and the caller's record opened, not yet verified."""
    learner = make_user("learner1", queue=[SCENARIO])
    login("learner1")
    cid = contact_of(learner, SCENARIO)
    take_and_find(client, cid, customer_of(app, cid))
    return cid


def block(app, cid: int, on: bool = True) -> None:
    with app.app_context():
        contact = db.session.get(Contact, cid)
        contact.policy = {**contact.policy, "block_actions_before_verification": on}
        db.session.commit()


def last_type(events_of, cid: int) -> str:
    return events_of(cid)[-1][0]


@pytest.mark.parametrize("action, data, etype", ACTIONS)
def test_by_default_an_action_before_verification_is_allowed(app, client, taken, events_of, action, data, etype):
    post(client, taken, action, **data)
    assert last_type(events_of, taken) == etype


@pytest.mark.parametrize("action, data, etype", ACTIONS)
def test_a_blocking_policy_refuses_an_action_before_verification(app, client, taken, events_of, action, data, etype):
    block(app, taken)
    count = len(events_of(taken))
    resp = post(client, taken, action, **data)
    assert "has not passed security" in messages_after(client, resp)
    assert len(events_of(taken)) == count


def test_a_blocking_policy_refuses_an_action_after_verification_failed(app, client, taken, events_of):
    block(app, taken)
    customer = customer_of(app, taken)
    for _ in range(3):
        check_answer(client, taken, customer["id"], "postcode", "ZZ9 9ZZ")
    assert last_type(events_of, taken) == "idv.result"
    count = len(events_of(taken))
    resp = post(client, taken, "refund", amount="5.00", kind="refund", reason="Fee refund")
    assert "failed security" in messages_after(client, resp)
    assert len(events_of(taken)) == count


def test_a_blocking_policy_allows_the_action_once_verified(app, client, make_user, login, contact_of, events_of):
    learner = make_user("learner1", queue=[SCENARIO])
    login("learner1")
    cid = contact_of(learner, SCENARIO)
    block(app, cid)
    verify(client, app, cid, second="account_number_last4")
    post(client, cid, "refund", amount="5.00", kind="refund", reason="Fee refund")
    assert last_type(events_of, cid) == "refund.issued"


def test_the_trainer_turns_the_block_on_and_off_in_the_policy_form(app, make_user, cohort):
    from tests.helpers import signed_in
    from tests.test_policy import VALID, stored_policy

    make_user("trainer1", "trainer", in_cohort=False)
    trainer = signed_in(app, "trainer1")
    assert stored_policy(app, cohort)["block_actions_before_verification"] is False  # the seed's default
    on = {**VALID, "block_actions_before_verification": "on"}
    assert trainer.post(f"/trainer/cohorts/{cohort}/policy", data=on).status_code == 303
    assert stored_policy(app, cohort)["block_actions_before_verification"] is True
    page = trainer.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)
    assert 'name="block_actions_before_verification" checked' in page
    trainer.post(f"/trainer/cohorts/{cohort}/policy", data=VALID)
    assert stored_policy(app, cohort)["block_actions_before_verification"] is False


def test_a_policy_with_a_non_boolean_block_is_refused():
    from crm_sandbox.config import SEED_DIR
    from crm_sandbox.policy import load_policy, policy_problems

    policy = load_policy(str(SEED_DIR))
    assert "block_actions_before_verification" in policy_problems(
        {**policy, "block_actions_before_verification": "yes"}
    )
