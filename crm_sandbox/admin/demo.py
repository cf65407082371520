"""``flask demo``: a few of the demo cohort's contacts played and reviewed, so a newcomer's first tour
finds a review, a released report, an evidence pack and an archive to look at, not only a queue.

Everything goes through the services the learner desk, the scripted caller and the assessor's pages
use, so the events, findings, signed heads and sign-offs are what a learner and an assessor leave.
The scripts are fixed and the caller is deterministic: a seeded instance gets the same events and
outcomes every time (only the times are real).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from crm_sandbox.admin.demo_level3 import run_level3_demo
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.events.append import contact_events
from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, User
from crm_sandbox.models.review import OUTCOMES
from crm_sandbox.operations import review as reviews
from crm_sandbox.operations.cohorts.cohorts import cohort_by_name
from crm_sandbox.operations.desk import actions, contacts, conversation, identity, lifecycle, notes
from crm_sandbox.queries import review as review_queries
from crm_sandbox.queries.customers import customer_dict
from crm_sandbox.scenarios.answers import heard

GREETING = "Hello, you're chatting with {agent} at Sandbox Bank. How can I help you today?"
IDV_ASK = "Before I can look at the account I need to ask some security questions. "
ANYTHING_ELSE = "Is there anything else I can help you with today?"

# Steps a learner takes on the desk; {name} is filled from the caller's record and the scenario's facts.
# A step is a Desk method's name and its arguments.
Step = tuple[Any, ...]
CLEAN_REFUND: list[Step] = [
    ("take",),
    ("say", GREETING, "greeting-chat"),
    ("find",),
    ("ask", IDV_ASK + "Could you confirm your date of birth?", "date_of_birth"),
    ("ask", "And the last four digits of your account number, please?", "account_number_last4"),
    ("read", "refunds-and-authority-limits"),
    ("refund", "35.00", "Unpaid item fee refund promised three weeks ago and not applied"),
    (
        "say",
        "I'm sorry for the inconvenience, {first_name}. I've refunded £35.00 to your account; it should "
        "show within 2 working days.",
        "refund-issued",
    ),
    ("note", "Promised refund of the £35.00 unpaid item fee had not been applied: refunded today.", "resolved"),
    ("say", ANYTHING_ELSE, "anything-else"),
    ("close", "resolved", True),
]
CARELESS_BALANCE: list[Step] = [  # leads the caller through security and gives the balance before it has passed
    ("take",),
    ("say", GREETING, "greeting-chat"),
    ("find",),
    ("say", "Can I just confirm your date of birth is {dob}?"),
    ("check", "date_of_birth", "{dob}"),
    ("say", "Thanks {first_name}, your balance is {balance_money}."),
    ("ask", "Oh, and what is your postcode?", "postcode"),
    ("note", "Balance given.", "information-given"),
    ("say", ANYTHING_ELSE, "anything-else"),
    ("close", "information-given", True),
]
CLEAN_ADDRESS: list[Step] = [
    ("take",),
    ("say", GREETING, "greeting-chat"),
    ("find",),
    ("ask", IDV_ASK + "What is your date of birth, please?", "date_of_birth"),
    ("ask", "Thanks. What's your postcode?", "postcode"),  # the caller gives the new one out of habit
    ("ask", "That doesn't match. Could you give me the postcode we hold on the account?", "postcode"),
    ("say", "Thanks {first_name}. What's the new address you've moved to?"),
    ("update", "address_line1", "{new_address}"),
    ("update", "town", "{new_town}"),
    ("update", "postcode", "{new_postcode}"),
    (
        "say",
        "That's all done, {first_name}. I've updated your address to {new_address}, {new_town}, {new_postcode}.",
        "address-updated",
    ),
    (
        "note",
        "ID&V passed (date of birth, postcode held). Address updated to the new address the customer gave.",
        "resolved",
    ),
    ("say", ANYTHING_ELSE, "anything-else"),
    ("close", "resolved", True),
]

# (learner, scenario, steps, review): the review is (sign-off feedback, the learner's acknowledgement),
# or None to leave the contact where its steps end. The assessor confirms every finding the rules made.
PLAYS: list[tuple[int, str, list[Step], tuple[str, str] | None]] = [
    (
        0,
        "missing-refund",
        CLEAN_REFUND,
        (
            "Security done with open questions before anything was discussed, the refund within your authority, "
            "and a note that says what was promised and done.",
            "Thank you: I'll keep working this way.",
        ),
    ),
    (
        0,
        "balance-enquiry",
        CARELESS_BALANCE,
        (
            "You stated the date of birth instead of asking for it, and gave the balance before the caller had "
            "passed security. Ask open questions, and disclose nothing until verification has passed.",
            "Understood: I gave the balance too early. I'll finish security first next time.",
        ),
    ),
    (1, "change-of-address", CLEAN_ADDRESS, None),  # closed, waiting in the assessor's review queue
]  # none is left live: a live contact holds up the cohort's reset, and only its learner can close it


class Desk:
    """One learner working one contact through the desk's services, as the learner pages call them."""

    def __init__(self, contact: Contact, learner: User) -> None:
        self.contact, self.learner = contact, learner
        record = customer_dict(contact.customer)
        self.values = {
            **record,
            **contact.scenario.get("facts", {}),
            "agent": learner.display_name.split()[0],
            "balance_money": money(record["balance"]),
            "dob": date.fromisoformat(record["date_of_birth"]).strftime("%d/%m/%Y"),
        }

    def fill(self, text: str) -> str:
        return text.format(**self.values)

    def play(self, steps: list[Step]) -> None:
        for name, *args in steps:
            getattr(self, name)(*args)

    def take(self) -> None:
        lifecycle.open_contact(self.contact, self.learner)

    def say(self, text: str, template: str | None = None) -> None:
        conversation.send_message(self.contact, self.learner, self.fill(text), template_id=template)

    def find(self) -> None:
        contacts.search_customers(self.contact, self.learner, self.values["full_name"])
        contacts.view_customer(self.contact, self.learner, self.contact.customer_id)

    def ask(self, question: str, factor: str) -> None:
        """Ask one ID&V question and type the answer the scripted caller gave into the panel."""
        self.say(question)
        said = [e.data["text"] for e in contact_events(self.contact.id) if e.type == "message.received"][-1]
        self.check(factor, heard(factor, said))

    def check(self, factor: str, given: str) -> None:
        identity.submit_answer(self.contact, self.learner, self.contact.customer_id, factor, self.fill(given))

    def read(self, slug: str) -> None:
        conversation.view_article(self.contact, self.learner, slug)

    def update(self, field: str, value: str) -> None:
        actions.update_details(self.contact, self.learner, field, self.fill(value))

    def refund(self, amount: str, reason: str) -> None:
        actions.issue_refund(self.contact, self.learner, amount, "refund", reason)

    def note(self, text: str, outcome: str) -> None:
        notes.add_note(self.contact, self.learner, self.fill(text), outcome)

    def close(self, outcome: str, resolved: bool) -> None:
        lifecycle.close_contact(self.contact, self.learner, outcome, resolved)


def review(contact: Contact, assessor: User, learner: User, plan: tuple[str, str]) -> str:
    """Confirm every finding, judge every criterion, sign off and release; the learner acknowledges.

    Every finding and criterion is decided first (a sign-off is refused until they are). A criterion its
    scenario does not cover is left at its default, not covered. A practice contact is signed off as
    formative feedback; an observed assessment competent, or not yet competent when anything was found."""
    feedback, acknowledgement = plan
    found = review_queries.review_findings(contact.id)
    for finding in found:
        reviews.decide_finding(finding, assessor, "confirmed", "Confirmed from the timeline.", len(finding.decisions))
    for row in review_queries.contact_review(contact).criteria:
        if not row.covered:
            continue  # stands as not covered by this observation
        against = sorted({f.rule.replace("-", " ") for f in row.against})
        reviews.judge_criterion(
            contact,
            assessor,
            row.criterion.id,
            "not_yet" if against else "met",
            f"Not yet: {', '.join(against)}." if against else "Evidenced on this contact.",
        )
    outcome = "formative" if contact.mode == "practice" else "not_yet_competent" if found else "competent"
    reviews.sign_off(contact, assessor, outcome, feedback)
    reviews.release(contact, assessor)
    reviews.acknowledge(contact, learner, acknowledgement)
    return f"reviewed: {OUTCOMES[outcome].lower()}, released and acknowledged"


def demo_cast(cohort_name: str, users: Sequence[tuple[str, str, str]]) -> tuple[list[User], User]:
    """The cohort's demo learners and assessor (``users`` as ``flask bootstrap`` made them), or NotFound."""
    cohort = cohort_by_name(cohort_name)
    names = [username for username, role, _ in users if role in ("learner", "assessor")]
    found = {
        u.username: u
        for u in db.session.execute(select(User).where(User.username.in_(names), User.cohort_id == cohort.id)).scalars()
    }
    missing = [name for name in names if name not in found]
    if missing:
        raise NotFound(
            f"{cohort_name} has no account {', '.join(missing)}: the demo plays the accounts "
            "`flask bootstrap` creates (a reset removes them)."
        )
    learners = [found[u] for u, role, _ in users if role == "learner"]
    return learners, next(found[u] for u, role, _ in users if role == "assessor")


def run_demo(cohort_name: str, users: Sequence[tuple[str, str, str]]) -> list[str]:
    """Play and review the demo contacts of ``cohort_name``; one line per contact saying where it was left.

    Refused (NotFound, Conflict; nothing changed) when the accounts are missing or any contact it
    would play is no longer queued, as after an earlier run. Call it outside a transaction: each step
    commits its own, as on the desk.
    """
    learners, assessor = demo_cast(cohort_name, users)
    plays = []
    for index, scenario_id, steps, plan in PLAYS:
        learner = learners[index]
        contact = (
            db.session.execute(
                select(Contact)
                .where(  # the first in the queue, if assigned twice
                    Contact.learner_id == learner.id, Contact.scenario_id == scenario_id
                )
                .order_by(Contact.position)
            )
            .scalars()
            .first()
        )
        if contact is None:
            raise NotFound(
                f"{learner.username} has no “{scenario_id}” contact: the demo plays the queue `flask bootstrap` builds."
            )
        if contact.status != "queued":
            raise Conflict(
                f"{learner.username}'s “{contact.title}” is {contact.status}, not queued: the demo has "
                f"already run on {cohort_name}, or someone has worked there. Reset the cohort to run "
                "the demo again."
            )
        plays.append((contact, learner, steps, plan))
    with write_transaction():  # the demo's reviewed contacts are observed assessments, as a trainer assigns them
        for contact, _, _, plan in plays:
            if plan:
                contact.mode, contact.assessor_id = "assessment", assessor.id
    done = []
    # The demo plays each contact at once, as a script: the caller answers each question straight away, as it
    # does under test, not after a person's typing time (CALLER_REPLY_DELAYS is on when the sandbox serves).
    config = current_app.config
    had, delays = "CALLER_REPLY_DELAYS" in config, config.get("CALLER_REPLY_DELAYS")
    config["CALLER_REPLY_DELAYS"] = False
    try:
        done += _play(plays, assessor)
    finally:
        if had:
            config["CALLER_REPLY_DELAYS"] = delays
        else:
            config.pop("CALLER_REPLY_DELAYS")
    try:
        done += run_level3_demo(learners[0], assessor)
    except ServiceError as err:
        raise ServiceError(f"The demo's Level 3 work stopped: {err} What it did so far is kept.") from err
    return done


def _play(plays: list[tuple[Contact, User, list[Step], Any]], assessor: User) -> list[str]:
    """Each contact played on the desk and, where planned, reviewed: a line for each."""
    done = []
    for contact, learner, steps, plan in plays:
        try:
            Desk(contact, learner).play(steps)
            left = review(contact, assessor, learner, plan) if plan else f"left {contact.status}"
        except (ServiceError, ValueError) as err:  # ValueError: heard() found no answer (its words not shown)
            problem = str(err) if isinstance(err, ServiceError) else "the caller gave no answer the demo could read."
            raise ServiceError(
                f"The demo stopped on {learner.username}'s “{contact.title}”: {problem} "
                "What it did so far is kept; reset the cohort to start again."
            ) from err
        done.append(f"{learner.username}: {contact.title} ({left})")
    return done
