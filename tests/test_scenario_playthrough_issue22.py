"""Issue 22 (part A): the referred customer, bereavement, abusive caller and outbound callback, each played
from opening to close through the Flask test client with its events asserted (the steps and the checks of
``test_scenario_playthrough``), then a breach path of each played to the finding its rule raises."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, Finding
from crm_sandbox.operations.desk.identity import memorable_positions, ordinal
from tests.helpers import customer_of, messages_after, page, post
from tests.test_scenario_playthrough import (
    CLOSE_UP,
    HEARD,
    IDV_ASK,
    Ask,
    Close,
    Find,
    Note,
    Play,
    ReadKb,
    Say,
    Take,
)

ANSWER = "Good morning, thank you for calling Sandbox Bank, you're speaking to Sam. How can I help?"


@dataclass
class TakeOutbound:
    """Take an outbound call from the queue: nobody speaks until it is dialled."""

    def run(self, play):
        play.client.post(f"/learner/contacts/{play.contact_id}/open")

    def expected(self):
        return [("contact.opened", "learner")]

    def check(self, play, new):
        assert "Outbound call" in page(play.client, play.contact_id)


@dataclass
class Dial:
    """Dial the number on the open record; whoever answers speaks first."""

    answer: str

    def run(self, play):
        shown = messages_after(play.client, post(play.client, play.contact_id, "dial", customer_id=play.customer["id"]))
        assert "Call connected" in shown

    def expected(self):
        return [("call.dialled", "learner"), HEARD]

    def check(self, play, new):
        assert new[0][1] == {"customer_id": play.customer["id"], "customer_ref": play.customer["ref"], "field": "phone"}
        assert self.answer in new[1][1]["text"]


@dataclass
class Handover:
    team: str
    text: str

    def run(self, play):
        shown = messages_after(
            play.client,
            post(play.client, play.contact_id, "handover", team=self.team, text=self.text.format(**play.values)),
        )
        assert "Handover note sent" in shown

    def expected(self):
        return [("handover.written", "learner")]

    def check(self, play, new):
        assert new[0][1] == {"team": self.team, "text": self.text.format(**play.values)}


@dataclass
class EndCall:
    reason: str

    def run(self, play):
        shown = messages_after(play.client, post(play.client, play.contact_id, "end-call", reason=self.reason))
        assert "Call ended" in shown

    def expected(self):
        return [("call.ended", "learner")]

    def check(self, play, new):
        assert new[0][1] == {"reason": self.reason}


REFERRAL_NOTE = (
    "{first_name} {last_name}: card declined this morning by a fraud check. Verified again on this call. "
    "Please review the block and call back within 2 hours."
)
BEREAVEMENT_NOTE = (
    "{first_name} {last_name}'s child Jo reports the death last Tuesday; Jo is the executor. Bereavement pack "
    "and a call back requested. Nothing about the account disclosed."
)
WARNING = "I do want to help you, but I won't accept abusive language. If it continues, I will have to end the call."

SCRIPTS = {
    "referred-customer": [
        Take("put me through"),
        Say(
            "Hello, you're through to Sam. I can see from my colleague Alex's note that your card was declined "
            "at a petrol station this morning.",
            "that's it exactly",
        ),
        Find(),
        Ask(IDV_ASK + "Could you confirm your date of birth, please?", "date_of_birth", True),
        Ask("Thank you. And your postcode?", "postcode", True, "verified"),
        ReadKb("handover", "referrals-and-handovers"),
        Handover("Fraud team", REFERRAL_NOTE),
        Say(
            "The block was put on by our fraud checks, so I've passed this to the fraud team, who will call "
            "you within 2 hours.",
            "fraud team",
        ),
        Note(
            "Referred by the cards team (card declined, fraud block). ID&V passed. Referred to the fraud team.",
            "referred",
        ),
        Say(CLOSE_UP, "bye", ends=True),
        Close("referred", True),
    ],
    "bereavement-notification": [
        Take("passed away"),
        Say(ANSWER, "need to let you know"),
        Say("I'm so sorry for your loss.", "very sudden"),
        Say("Can I ask when they passed away?", "last tuesday"),
        Find(),
        ReadKb("bereavement", "bereavement"),
        Say("Are you the executor of the will?", "executor"),
        Say(
            "I'm sorry, I can't share any details of the account yet. Our bereavement team will call you within "
            "2 working days and send a bereavement pack; they'll need a copy of the death certificate.",
            "death certificate",
        ),
        Handover("Bereavement team", BEREAVEMENT_NOTE),
        Note(
            "Death of the account holder reported by their child (executor). Referred to the bereavement team; nothing disclosed.",
            "referred",
        ),
        Say("Is there anything else I can help with today?", "bye", ends=True),
        Close("referred", True),
    ],
    "abusive-caller": [
        Take("bounced my rent"),
        Say(ANSWER, "deaf"),
        ReadKb("abusive", "abusive-callers"),
        Say(WARNING, "talk how i like"),
        Say(
            "As this has carried on, I'm ending the call now. You can call us again when you're ready.",
            "useless",
            ends=True,
        ),
        EndCall("abusive"),
        Note(
            "Caller swore at me and called me names about a returned rent payment. Warned once; abuse continued; call ended. Supervisor told.",
            "call-ended-after-warning",
        ),
        Close("call-ended-after-warning", False),
    ],
    "outbound-callback": [
        TakeOutbound(),
        Find(),
        Dial("Hello?"),
        Say("Hello, this is Sam calling from Sandbox Bank. Who am I speaking to, please?", "speaking"),
        Ask(
            "Before I go into any detail I need to ask some security questions. What is your date of birth?",
            "date_of_birth",
            True,
        ),
        Ask("Thank you. And your postcode?", "postcode", True, "verified"),
        ReadKb("outbound", "outbound-calls"),
        Say("The standing order didn't go out because the payee changed their bank details.", "update it in the app"),
        Note(
            "Outbound callback: customer answered, ID&V passed (DOB, postcode). Standing order failed: payee's bank details changed.",
            "resolved",
        ),
        Say(CLOSE_UP, "bye", ends=True),
        Close("resolved", True),
    ],
}

# The breach paths: the script up to a point, then the learner's mistake, and the finding its rule raises.
BREACHES = {
    "referred-customer": (
        6,
        [
            Handover(
                "Fraud team",
                "Copied from the cards team: DOB {dob_text}, memorable word {memorable_word}. Please lift the block.",
            )
        ],
        "handover-oversharing",
    ),
    "bereavement-notification": (
        4,
        [Say("The balance on the account is {balance_money}, so the funeral bill is covered.", "")],
        "disclosure-to-third-party",
    ),
    "abusive-caller": (2, [EndCall("abusive")], "ended-without-warning"),
    "outbound-callback": (
        4,
        [Say("I'm calling about your standing order: your balance is {balance_money}.", "")],
        "disclosure-before-verification",
    ),
}


def start(app, client, make_user, login, contact_of, events_of, scenario_id):
    learner = make_user("learner1", queue=[scenario_id])
    login("learner1")
    contact_id = contact_of(learner, scenario_id)
    customer = customer_of(app, contact_id)
    a, b = memorable_positions(contact_id, customer["memorable_word"])
    play = Play(app, client, contact_id, "phone", "", customer, events_of)
    day, month, year = customer["date_of_birth"][8:], customer["date_of_birth"][5:7], customer["date_of_birth"][:4]
    play.values = {
        **customer,
        "balance_money": money(customer["balance"]),
        "chars": f"{ordinal(a)} and {ordinal(b)}",
        "dob_text": f"{day}/{month}/{year}",
    }
    return play


def run(play, steps):
    expected = []
    for step in steps:
        before = len(play.events())
        step.run(play)
        new = play.events()[before:]
        assert [(e[0], e[4]) for e in new] == step.expected(), f"{step}: {[(e[0], e[4]) for e in new]}"
        step.check(play, new)
        expected += step.expected()
    return expected


def active_rules(app, contact_id):
    with app.app_context():
        rows = db.session.execute(select(Finding).where(Finding.contact_id == contact_id, Finding.active)).scalars()
        return {f.rule for f in rows}


@pytest.mark.parametrize("scenario_id", sorted(SCRIPTS))
def test_scenario_is_played_from_opening_to_close(app, client, make_user, login, contact_of, events_of, scenario_id):
    play = start(app, client, make_user, login, contact_of, events_of, scenario_id)
    expected = run(play, SCRIPTS[scenario_id])
    events = play.events()
    assert [(e[0], e[4]) for e in events] == expected
    times = [e[2] for e in events]
    assert times == sorted(times) and events[-1][0] == "contact.closed"
    with app.app_context():
        assert db.session.get(Contact, play.contact_id).status == "closed"
    assert active_rules(app, play.contact_id) == set()  # played well: nothing flagged


@pytest.mark.parametrize("scenario_id", sorted(BREACHES))
def test_breach_path_raises_its_finding(app, client, make_user, login, contact_of, events_of, scenario_id):
    upto, mistake, rule = BREACHES[scenario_id]
    play = start(app, client, make_user, login, contact_of, events_of, scenario_id)
    run(play, SCRIPTS[scenario_id][:upto] + mistake)
    assert rule in active_rules(app, play.contact_id)
