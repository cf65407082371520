"""Every scenario played from opening to close through the Flask test client, its evidence checked.

Each scenario has a short learner script: a table of steps (say something, check an ID&V answer the
caller gave, read an article, act on the account, write a note, close). Every step says which events
it must add, in order, with their actors; the whole log must then run seq 1..n with non-decreasing
timestamps. The caller is the scripted one: its answers are read from its ``message.received`` events
and typed into the ID&V panel, as a learner would.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from bench import naive_rules
from crm_sandbox.compliance import evaluate, fold
from crm_sandbox.compliance.engine import evaluate_whole
from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, Finding
from crm_sandbox.operations.desk.identity import memorable_positions, ordinal
from crm_sandbox.queries.session_export import session_document
from crm_sandbox.scenarios import load_library
from crm_sandbox.scenarios.answers import heard
from crm_sandbox.scenarios.neutral import email_subject
from tests.helpers import (
    caller_texts,
    check_answer,
    customer_of,
    kb_search,
    messages_after,
    page,
    post,
    say,
)

SENT, HEARD = ("message.sent", "learner"), ("message.received", "caller")


# --- the steps a learner can take ------------------------------------------------------------------


@dataclass
class Take:
    """Take the contact from the queue: the caller's opening message arrives."""

    opening: str  # words the opening must contain

    def run(self, play):
        play.client.post(f"/learner/contacts/{play.contact_id}/open")

    def expected(self):
        return [("contact.opened", "learner"), HEARD]

    def check(self, play, new):
        assert self.opening.lower() in new[1][1]["text"].lower()


@dataclass
class Find:
    """Search for the named account by surname and open its record (masked until verified)."""

    def run(self, play):
        c = play.customer
        post(play.client, play.contact_id, "search", query=c["last_name"])
        post(play.client, play.contact_id, f"customers/{c['id']}/view")

    def expected(self):
        return [("customer.searched", "learner"), ("customer.viewed", "learner")]

    def check(self, play, new):
        assert new[0][1]["query"] == play.customer["last_name"]
        assert play.customer["id"] in [hit["id"] for hit in new[0][1]["results"]]
        assert new[1][1]["customer_id"] == play.customer["id"] and new[1][1]["verified"] is False


@dataclass
class Say:
    """Send a message (``{first_name}``, ``{balance}``, ``{chars}``… are filled from the record)."""

    text: str
    reply: str = ""  # words the caller's reply must contain
    template: str | None = None
    ends: bool = False

    def run(self, play):
        extra = {"template_id": self.template} if self.template else {}
        if play.channel == "email":
            extra["subject"] = f"Re: {play.subject}"
        play.sent = self.text.format(**play.values)
        resp = say(play.client, play.contact_id, play.sent, **extra)
        assert resp.status_code == 303

    def expected(self):
        return [SENT, HEARD]

    def check(self, play, new):
        sent, got = new[0][1], new[1][1]
        assert sent["text"] == play.sent
        assert sent.get("template_id") == self.template
        assert self.reply.lower() in got["text"].lower(), got["text"]
        assert bool(got.get("ends")) is self.ends, got["text"]
        if play.channel == "email":
            assert sent["subject"] == f"Re: {play.subject}" and got["subject"] == f"Re: {play.subject}"


@dataclass
class Ask:
    """Ask one ID&V question, then type the answer the caller gave into the panel."""

    question: str
    factor: str
    match: bool
    result: str | None = None  # "verified" or "locked" when this answer decides verification

    def run(self, play):
        say(play.client, play.contact_id, self.question.format(**play.values))
        answer = heard(self.factor, caller_texts(play.events())[-1])
        play.given = answer
        check_answer(play.client, play.contact_id, play.customer["id"], self.factor, answer)

    def expected(self):
        result = {
            "verified": [("idv.result", "system"), ("customer.viewed", "system")],
            "locked": [("idv.result", "system")],
            None: [],
        }[self.result]
        return [SENT, HEARD, ("idv.answer", "learner")] + result

    def check(self, play, new):
        data = dict(new[2][1])
        assert data.pop("read")  # what the desk read the answer as (tests/test_idv_answers.py)
        assert data == {
            "factor": self.factor,
            "given": play.given,
            "match": self.match,
            "customer_id": play.customer["id"],
        }
        if self.result == "verified":
            assert new[3][1] == {"passed": True} and new[4][1]["verified"] is True
        elif self.result == "locked":
            assert new[3][1] == {"passed": False, "reason": "locked"}


@dataclass
class ReadKb:
    """Search the knowledge base and read an article from the results."""

    search: str
    slug: str

    def run(self, play):
        html = kb_search(play.client, play.contact_id, self.search)
        assert f"/kb/{self.slug}" in html, f"{self.slug} not found by {self.search!r}"
        post(play.client, play.contact_id, f"kb/{self.slug}")

    def expected(self):
        return [("kb.viewed", "learner")]

    def check(self, play, new):
        assert new[0][1]["article"] == self.slug and new[0][1]["title"]


@dataclass
class Note:
    text: str
    outcome: str

    def run(self, play):
        assert "Note saved" in messages_after(
            play.client,
            post(play.client, play.contact_id, "notes", text=self.text.format(**play.values), outcome=self.outcome),
        )

    def expected(self):
        return [("note.added", "learner")]

    def check(self, play, new):
        assert new[0][1] == {"text": self.text.format(**play.values), "outcome": self.outcome}


@dataclass
class Update:
    field: str
    value: str
    stored: str  # how the record keeps it

    def run(self, play):
        assert "Record updated" in messages_after(
            play.client, post(play.client, play.contact_id, "details", field=self.field, value=self.value)
        )

    def expected(self):
        return [("record.updated", "learner")]

    def check(self, play, new):
        data = dict(new[0][1])
        assert data.pop("previous") != self.stored  # the value it replaced, kept for the replay
        assert data == {"field": self.field, "value": self.stored}
        assert customer_of(play.app, play.contact_id)[self.field] == self.stored


@dataclass
class Refund:
    amount: str
    reason: str
    refused: str = ""  # a refusal message: nothing is paid or recorded

    def run(self, play):
        play.balance_before = Decimal(customer_of(play.app, play.contact_id)["balance"])
        shown = messages_after(
            play.client,
            post(play.client, play.contact_id, "refund", amount=self.amount, kind="refund", reason=self.reason),
        )
        assert (self.refused or "Payment made") in shown

    def expected(self):
        return [] if self.refused else [("refund.issued", "learner")]

    def check(self, play, new):
        balance = Decimal(customer_of(play.app, play.contact_id)["balance"])
        if self.refused:
            assert balance == play.balance_before
        else:
            assert new[0][1] == {"amount": float(self.amount), "kind": "refund", "reason": self.reason}
            assert balance == play.balance_before + Decimal(self.amount)


@dataclass
class Complaint:
    summary: str
    investigation: str
    remedy: str

    def run(self, play):
        assert "Complaint logged" in messages_after(
            play.client,
            post(
                play.client,
                play.contact_id,
                "complaint",
                summary=self.summary,
                investigation=self.investigation,
                remedy=self.remedy,
                outcome_communicated="yes",
            ),
        )

    def expected(self):
        return [("complaint.raised", "learner")]

    def check(self, play, new):
        assert new[0][1] == {
            "summary": self.summary,
            "investigation": self.investigation,
            "remedy": self.remedy,
            "outcome_communicated": True,
        }


@dataclass
class Escalate:
    reason: str

    def run(self, play):
        assert "Escalated" in messages_after(
            play.client, post(play.client, play.contact_id, "escalate", reason=self.reason)
        )

    def expected(self):
        return [("escalated", "learner")]

    def check(self, play, new):
        assert new[0][1] == {"reason": self.reason}


@dataclass
class Close:
    outcome: str
    resolved: bool

    def run(self, play):
        assert "Contact closed" in messages_after(
            play.client,
            post(
                play.client, play.contact_id, "close", outcome=self.outcome, resolved="yes" if self.resolved else "no"
            ),
        )

    def expected(self):
        return [("contact.closed", "learner")]

    def check(self, play, new):
        assert new[0][1] == {"outcome": self.outcome, "resolved": self.resolved}


# --- the scripts -------------------------------------------------------------------------------------

IDV_ASK = "Before I can look at the account I need to ask some security questions. "
CLOSE_UP = "Is there anything else I can help you with today?"

SCRIPTS = {
    "balance-enquiry": [
        Take("how much is in my account"),
        Say(
            "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?",
            "builder",
            template="greeting-chat",
        ),
        Find(),
        Ask(IDV_ASK + "Could you tell me your date of birth, please?", "date_of_birth", True),
        Ask("Thank you. And what is your postcode?", "postcode", True, "verified"),
        ReadKb("verification", "idv-policy"),
        Say(
            "Thank you for waiting, {first_name}. The current balance on your account is {balance_money}.",
            "enough for the builder",
            template="balance",
        ),
        Note("Caller passed ID&V (DOB, postcode) and asked for the balance; balance given.", "information-given"),
        Say(CLOSE_UP, "bye", template="anything-else", ends=True),
        Close("resolved", True),
    ],
    "change-of-address": [
        Take("moved house"),
        Say(
            "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?",
            "address changed",
            template="greeting-chat",
        ),
        Find(),
        Ask(IDV_ASK + "What is your date of birth, please?", "date_of_birth", True),
        Ask("Thanks. What's your postcode?", "postcode", False),  # gives the new one out of habit
        Ask("That doesn't match. Could you give me the postcode we hold on the account?", "postcode", True, "verified"),
        ReadKb("change address", "idv-policy"),
        Say("Thanks {first_name}. What's the new address you've moved to?", "14 Quillfeather Lane"),
        Update("address_line1", "14 Quillfeather Lane", "14 Quillfeather Lane"),
        Update("town", "Brackenford", "Brackenford"),
        Update("postcode", "bk73qn", "BK7 3QN"),
        Say(
            "That's all done, {first_name}. I've updated your address to 14 Quillfeather Lane, Brackenford, BK7 3QN.",
            "new card",
            template="address-updated",
        ),
        Note("ID&V passed (DOB, postcode held). Address updated to the new address the customer gave.", "resolved"),
        Say(CLOSE_UP, "bye", ends=True),
        Close("resolved", True),
    ],
    "missing-refund": [
        Take("promised a refund"),
        Say("Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?", "unpaid item fee"),
        Find(),
        Ask(IDV_ASK + "Could you confirm your date of birth?", "date_of_birth", True),
        Ask("And the last four digits of your account number, please?", "account_number_last4", True, "verified"),
        ReadKb("refund authority", "refunds-and-authority-limits"),
        Refund("35.00", "Unpaid item fee refund promised three weeks ago and not applied"),
        Say(
            "I'm sorry for the inconvenience, {first_name}. I've refunded £35.00 to your account; it should "
            "show within 2 working days.",
            "when will it",
            template="refund-issued",
        ),
        Note("Promised refund of the £35.00 unpaid item fee had not been applied: refunded today.", "resolved"),
        Say(CLOSE_UP, "bye", ends=True),
        Close("resolved", True),
    ],
    "complaint-escalation": [
        Take("formal complaint"),
        Say("Hello, you're chatting with Sam at Sandbox Bank. What's happened?", "agreed overdraft"),
        Find(),
        Ask(IDV_ASK + "Please could you give me your date of birth?", "date_of_birth", True),
        Ask("Thank you. And your postcode?", "postcode", True, "verified"),
        ReadKb("complaint", "complaints-procedure"),
        Say("I'm sorry this has happened and I understand how frustrating it is.", "what happens now"),
        Complaint(
            "Overdraft fees of £25.00 charged three months running despite an agreed overdraft; previous call cut off.",
            "Fees appear on the last three statements.",
            "Refund of £75.00 and a call back from a manager.",
        ),
        Escalate("Formal complaint: £75.00 of overdraft fees disputed and customer asks for a manager."),
        Say(
            "I've logged your complaint and escalated it to my supervisor, who will contact you within 2 working days.",
            "finally",
        ),
        Note(
            "Complaint logged about overdraft fees and a dropped call; escalated to a supervisor.", "complaint-raised"
        ),
        Say(CLOSE_UP, "bye", ends=True),
        Close("complaint-raised", False),
    ],
    "refund-above-authority": [
        Take("taken twice"),
        Say("Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?", "once a year"),
        Find(),
        Ask(IDV_ASK + "What is your date of birth, please?", "date_of_birth", True),
        Ask("Thanks. What are the last four digits of your account number?", "account_number_last4", True, "verified"),
        ReadKb("authority limit", "refunds-and-authority-limits"),
        Refund("180.00", "Duplicate annual fee", refused="above your authority limit"),
        Escalate("Duplicate £180.00 annual fee to refund: above my £50.00 authority limit."),
        Say(
            "I can see why this needs looking at properly, and it's beyond what I'm able to authorise myself, "
            "so I've passed it to my supervisor with all the details.",
            "understand it needs approval",
            template="escalation",
        ),
        Note("Annual fee of £180.00 taken twice. Refund due but above my authority: escalated.", "escalated"),
        Say(CLOSE_UP, "bye", ends=True),
        Close("escalated", False),
    ],
    "third-party-spouse": [
        Take("direct debit"),
        Say(
            "Good morning, thank you for calling Sandbox Bank, you're speaking to Sam. Who am I speaking to?",
            "calling for my",
            template="greeting-phone",
        ),
        Say("Thanks. Are you the account holder?", "other half"),
        Find(),
        ReadKb("mandate", "third-parties"),
        Say(
            "Thank you for calling on their behalf. I'm sorry, but for data protection reasons I can only "
            "discuss an account with the account holder or someone they have formally authorised, so I "
            "can't share any details. They can set up a third-party mandate so that you can help in future.",
            "how do we set that up",
            template="third-party-refusal",
        ),
        Note(
            "Caller was the account holder's spouse with no authority on the account; nothing disclosed. "
            "Explained the third-party mandate.",
            "refused-third-party",
        ),
        Say("Thanks for calling, take care. Bye.", "bye", ends=True),
        Close("refused-third-party", True),
    ],
    "power-of-attorney": [
        Take("lasting power of attorney"),
        Say(
            "Good morning, thank you for calling Sandbox Bank, you're speaking to Sam. How can I help?",
            "standing order",
            template="greeting-phone",
        ),
        Say("Thank you. Am I speaking to the account holder?", "attorney"),
        Find(),
        ReadKb("attorney", "power-of-attorney"),
        Ask(IDV_ASK + "What is the account holder's date of birth?", "date_of_birth", True),
        Ask("And the last four digits of the account number?", "account_number_last4", True, "verified"),
        Say("Thank you. The balance on the account is {balance_money}.", ""),
        Note(
            "Registered attorney for the holder; ID&V passed (DOB, account). Balance given; standing order "
            "for care-home fees discussed.",
            "information-given",
        ),
        Say(CLOSE_UP, "bye", ends=True),
        Close("information-given", True),
    ],
    "impostor-takeover": [
        Take("email address"),
        Say(
            "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?",
            "stolen",
            template="greeting-chat",
        ),
        Find(),
        ReadKb("verification", "idv-policy"),
        Ask(IDV_ASK + "What's your date of birth, please?", "date_of_birth", True),
        Ask("Thank you. And your postcode?", "postcode", False),
        Ask("Could you give me the {chars} characters of your memorable word?", "memorable_word_characters", False),
        Ask("Sorry, could you tell me the postcode again?", "postcode", False, "locked"),
        Say(
            "I'm sorry, but I'm not able to go any further with the account without passing security. You can "
            "still get help by signing in to online banking, by visiting one of our branches with photo ID, or "
            "we can write to you at the address we hold on the account.",
            "forget it",
            template="verification-failed",
            ends=True,
        ),
        Note(
            "Caller failed ID&V (postcode and memorable word wrong) and pressed for an urgent email change. "
            "No change made; possible takeover attempt.",
            "refused-security",
        ),
        Close("refused-security", False),
    ],
    "volunteered-card-number": [
        Take("card number"),
        Say(
            "For your security, please don't share your full card number, expiry date or the security code "
            "on the back here. I don't need them to help you.",
            "should i cancel",
            template="card-data-warning",
        ),
        Find(),
        ReadKb("card number", "card-data-pci-dss"),
        Ask(IDV_ASK + "Could you tell me your date of birth, please?", "date_of_birth", True),
        Say("Please don't send the expiry date or the security code either: I never need them.", "cancel"),
        Ask("Thank you. And your postcode, please?", "postcode", True, "verified"),
        Say("I'll block the card now and send you a new one.", "new one"),
        Say("I'll also raise a chargeback for the payment you don't recognise.", "how long"),
        Note(
            "Customer volunteered card details in chat: warned not to share them, none recorded. Card "
            "blocked and a dispute raised for the unrecognised payment.",
            "resolved",
        ),
        Say(CLOSE_UP, "bye", ends=True),
        Close("resolved", True),
    ],
    "vulnerable-health-disclosure": [
        Take("missed payment"),
        Say(
            "Good morning, thank you for calling Sandbox Bank, you're speaking to Sam. How can I help?",
            "signed off work",
            template="greeting-phone",
        ),
        Find(),
        Ask(IDV_ASK + "Could you tell me your date of birth, please? Take your time.", "date_of_birth", True),
        Say(
            "Thank you for telling me, and I'm sorry you're going through this. Is there anything we can do "
            "to make things easier for you, such as speaking more slowly or putting things in writing?",
            "speak a bit slower",
            template="vulnerable-support",
        ),
        ReadKb("vulnerable", "vulnerable-customers"),
        Ask("Thank you. And your postcode, please?", "postcode", True, "verified"),
        Say("Thank you. About the missed payment: we can put a hold on it for two months.", "such a relief"),
        Say("MoneyHelper and Macmillan offer free support too.", "give them a ring"),
        Note(
            "Customer needs extra support: slower speech and letters in writing. Missed payment on hold "
            "for two months. No health details recorded.",
            "resolved",
        ),
        Say(CLOSE_UP, "bye", ends=True),
        Close("resolved", True),
    ],
    "locked-out-online-banking": [
        Take("locked myself out"),
        Say(
            "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?",
            "suspended",
            template="greeting-chat",
        ),
        Find(),
        Ask(IDV_ASK + "What is your date of birth, please?", "date_of_birth", True),
        Ask("Thanks. And what's your postcode?", "postcode", True, "verified"),
        ReadKb("online banking", "idv-policy"),
        Say("I've sent a reset link to the email address we hold for you.", "same email"),
        Note("ID&V passed (DOB, postcode). Online banking reset link sent to the email held.", "resolved"),
        Say(CLOSE_UP, "bye", ends=True),
        Close("resolved", True),
    ],
    "subject-access-request": [
        Take("subject access request"),
        Say(
            "Dear {title} {last_name},\n\nThank you for your email. My name is Sam and I'll be looking after "
            "your enquiry.",
            "copy of all the personal data",
            template="greeting-email",
        ),
        Find(),
        Ask(
            "So that I can be sure I'm writing to the account holder, please could you confirm your date of birth?",
            "date_of_birth",
            True,
        ),
        Ask("Thank you. Could you also confirm your postcode?", "postcode", True, "verified"),
        ReadKb("subject access", "subject-access-requests"),
        Say(
            "I've logged this as a subject access request and passed it to our data protection team. There "
            "is no charge, and you'll receive a copy of your personal data within one month of today.",
            "send it by email",
            template="sar-guidance",
        ),
        Note(
            "Subject access request received by email (all data incl. call notes and recordings, last two "
            "years). Logged and referred to the data protection team.",
            "referred",
        ),
        Say(
            "If you have any other questions, please reply to this email.\n\nKind regards,\nSam",
            "that's all",
            template="closing-email",
            ends=True,
        ),
        Close("referred", True),
    ],
    "erasure-request": [
        Take("right to be forgotten"),
        Say(
            "Dear {title} {last_name},\n\nThank you for your email. My name is Sam and I'll be looking after "
            "your enquiry.",
            "personal data deleted",
            template="greeting-email",
        ),
        Find(),
        Ask("Before I can act on the account, please could you confirm your date of birth?", "date_of_birth", True),
        Ask("Thank you. And the last four digits of your account number?", "account_number_last4", True, "verified"),
        ReadKb("erasure", "erasure-requests"),
        Say(
            "I've logged your request to erase your data and passed it to our data protection team. We'll "
            "stop all marketing straight away. Some records we are required by law to keep, for example for "
            "five years after an account closes.",
            "what exactly will you delete",
            template="erasure-guidance",
        ),
        Note(
            "Erasure request by email; logged and referred to the data protection team. Marketing "
            "stopped. Explained the legal retention.",
            "referred",
        ),
        Say("Kind regards,\nSam", "", template="closing-email"),
        Close("referred", True),
    ],
}


def test_every_scenario_in_seed_has_a_script(app):
    from tests.test_digital_social_playthrough import SCRIPTS as DIGITAL_SOCIAL  # played there (issue 22)
    from tests.test_scenario_playthrough_issue22 import SCRIPTS as ISSUE22  # issue 22's, with their own steps

    ids = {f.id for f in load_library(app.config["SEED_DIR"]) if f.valid}
    assert len(ids) == 19 and ids == set(SCRIPTS) | set(ISSUE22) | set(DIGITAL_SOCIAL)


# --- playing a script --------------------------------------------------------------------------------


@dataclass
class Play:
    app: object
    client: object
    contact_id: int
    channel: str
    subject: str
    customer: dict
    fetch: object
    values: dict = field(default_factory=dict)
    sent: str = ""
    given: str = ""
    balance_before: Decimal = Decimal(0)

    def events(self):
        """The contact's events, without the caller's mood changes (context the scripts do not play;
        tests/scenarios/test_caller_timing.py checks them)."""
        return [e for e in self.fetch(self.contact_id) if e[0] != "caller.mood"]


@pytest.mark.parametrize("scenario_id", sorted(SCRIPTS))
def test_scenario_is_played_from_opening_to_close(app, client, make_user, login, contact_of, events_of, scenario_id):
    learner = make_user("learner1", queue=[scenario_id])
    login("learner1")
    contact_id = contact_of(learner, scenario_id)
    customer = customer_of(app, contact_id)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        # the subject line the learner sees: the customer's, or a neutral one if it names the scenario
        channel, subject = contact.channel, email_subject(contact.scenario)
    a, b = memorable_positions(contact_id, customer["memorable_word"])
    play = Play(app, client, contact_id, channel, subject, customer, events_of)
    play.values = {**customer, "balance_money": money(customer["balance"]), "chars": f"{ordinal(a)} and {ordinal(b)}"}

    expected = []
    for step in SCRIPTS[scenario_id]:
        before = len(play.events())
        step.run(play)
        new = play.events()[before:]
        assert [(e[0], e[4]) for e in new] == step.expected(), f"{step}: {[(e[0], e[4]) for e in new]}"
        step.check(play, new)
        expected += step.expected()

    events = play.events()
    assert [(e[0], e[4]) for e in events] == expected  # the whole log, in order
    assert [e[3] for e in play.fetch(contact_id)] == list(range(1, len(play.fetch(contact_id)) + 1))
    times = [e[2] for e in events]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert events[-1][0] == "contact.closed"
    with app.app_context():
        assert db.session.get(Contact, contact_id).status == "closed"
    html = page(client, contact_id)
    assert "Closed" in html and 'id="composer"' not in html  # nothing more can be said once closed
    assert_fold_equals_batch(app, contact_id)
    assert_naive_equals_engine(app, contact_id)


def assert_fold_equals_batch(app, contact_id):
    """The played session's findings: the live ones (folded as the events arrived) equal the batch on the
    export, and the fold equals the batch at every prefix of it."""
    with app.app_context():
        doc = session_document(db.session.get(Contact, contact_id))
        rows = db.session.query(Finding).filter_by(contact_id=contact_id, active=True, source="rules").all()
        live = {(f.rule, tuple(f.events), f.evidence) for f in rows}
    assert live == {(f.rule, f.events, f.evidence) for f in evaluate_whole(doc)}
    state = fold.start(doc)
    for n, event in enumerate(doc["events"], start=1):
        state, _ = fold.step(state, event)
        assert fold.settle(state) == evaluate_whole({**doc, "events": doc["events"][:n]}), n


def assert_naive_equals_engine(app, contact_id):
    """The played session's findings from the benchmark's naive baseline equal the engine's."""
    with app.app_context():
        doc = session_document(db.session.get(Contact, contact_id))
    assert naive_rules.evaluate(doc) == evaluate(doc)


def test_the_impostor_changes_nothing(app, client, make_user, login, contact_of, events_of):
    """Locked out, the impostor's demanded email change is refused and the record stays as it was."""
    learner = make_user("learner1", queue=["impostor-takeover"])
    login("learner1")
    contact_id = contact_of(learner, "impostor-takeover")
    before = customer_of(app, contact_id)
    play = Play(app, client, contact_id, "chat", "", before, events_of)
    a, b = memorable_positions(contact_id, before["memorable_word"])
    play.values = {**before, "chars": f"{ordinal(a)} and {ordinal(b)}"}
    for step in SCRIPTS["impostor-takeover"][:8]:
        step.run(play)
    html = page(client, contact_id)
    assert "Locked" in html
    for value in (before["email"], before["phone"], before["balance"]):
        assert value not in html
    # A right answer now is refused: verification is locked on this contact.
    resp = check_answer(client, contact_id, before["id"], "date_of_birth", before["date_of_birth"])
    assert "locked" in messages_after(client, resp).lower()
    assert customer_of(app, contact_id) == before
    types = [e[0] for e in events_of(contact_id)]
    assert "record.updated" not in types and types.count("idv.result") == 1
