"""What the learner desk shows for a contact, derived from its events."""

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app

from crm_sandbox.compliance.verification import IdvState, verification_state
from crm_sandbox.content.knowledge import Article, get_article
from crm_sandbox.events.append import contact_events
from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, Customer, Event, Finding
from crm_sandbox.operations.contact_operation import check_policy
from crm_sandbox.operations.desk.notes import Note, customer_history, notes_from
from crm_sandbox.operations.findings import active_findings
from crm_sandbox.queries import customers as customer_service
from crm_sandbox.queries.customers import SearchHit
from crm_sandbox.queries.queue import learner_title
from crm_sandbox.scenarios.neutral import email_subject, shown_subject

# The conversation as the learner sees it. The assessor's observations (``observation.added``) stay out:
# a fair test does not show the learner the assessor's notes while they work; they are in the
# evidence, the timeline and the review.
MESSAGE_TYPES = ("message.sent", "message.received")


@dataclass
class Workspace:
    contact: Contact
    events: list[Event]
    idv: IdvState
    search: dict | None = None  # the data of the last ``customer.searched`` event
    record_id: int | None = None  # the customer record last opened on this contact
    article_slug: str | None = None  # the knowledge-base article last opened
    notes: list[Note] = field(default_factory=list)

    # The record and the article are read only when a page shows them (not by the conversation poll).
    @cached_property
    def record(self) -> Customer | None:
        return db.session.get(Customer, self.record_id) if self.record_id else None

    @cached_property
    def article(self) -> Article | None:
        return get_article(current_app.config["SEED_DIR"], self.article_slug) if self.article_slug else None

    @property
    def article_html(self) -> str:
        """The open article, with the policy's figures this contact works under filled in."""
        if self.article is None:
            return ""
        return self.article.html_with(policy_figures(self.contact.policy))

    @property
    def search_query(self) -> str | None:
        return self.search["query"] if self.search else None

    @cached_property
    def search_hits(self) -> list[SearchHit]:
        """The records the last search listed, looked up by id (read only when the desk shows them)."""
        if not self.search:
            return []
        if "results" not in self.search:  # recorded before searches kept their results: search again
            return customer_service.search(
                self.contact.cohort_id, self.search["query"], learner_id=self.contact.learner_id
            )
        return customer_service.hits_for(
            self.contact.cohort_id, [r["id"] for r in self.search["results"]], learner_id=self.contact.learner_id
        )

    @property
    def title(self) -> str:
        """What the learner's desk calls this contact: neutral until it is closed (``queue.learner_title``)."""
        return learner_title(self.contact.status, self.contact.channel, self.contact.scenario, self.contact.title)

    def subject(self, recorded: str | None) -> str:
        """A recorded email subject as the learner sees it (never the scenario's title)."""
        return shown_subject(self.contact.scenario, recorded)

    @property
    def opening_subject(self) -> str:
        """The subject line of the customer's first email."""
        return email_subject(self.contact.scenario)

    @property
    def idv_answers(self) -> list[Event]:
        """The ID&V answers checked on this contact (what was typed, what it was read as, the result)."""
        return self.of_type("idv.answer")

    @property
    def record_is_callers(self) -> bool:
        return self.record is not None and self.record.id == self.contact.customer_id

    @property
    def verified(self) -> bool:
        """Whether the open record may be shown unmasked: verified on this contact, for its customer."""
        return self.record_is_callers and self.idv.verified

    @property
    def messages(self) -> list[Event]:
        return [e for e in self.events if e.type in MESSAGE_TYPES]

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    @property
    def caller_ended(self) -> bool:
        return any(e.type == "message.received" and e.data.get("ends") for e in self.events)

    def of_type(self, *types: str) -> list[Event]:
        return [e for e in self.events if e.type in types]

    @property
    def policy(self) -> dict:
        """The policy the desk shows: the contact's own once opened (checked by ``workspace``); none
        while it is queued (taking it copies the cohort's)."""
        return {} if self.contact.status == "queued" else self.contact.policy

    @property
    def practice(self) -> bool:
        """Whether the learner sees the rules' findings as coaching tips while they work: only on a
        practice contact, and only when its policy's practice mode is on. An observed assessment never
        shows tips, whatever the cohort's practice mode (they would coach the learner through the test)."""
        return self.contact.mode == "practice" and self.policy.get("practice_mode") is True

    def tips(self) -> list[Finding]:
        """The coaching tips to show: none unless ``practice``."""
        return active_findings(self.contact.id) if self.practice else []

    def history(self) -> list[Note]:
        """The notes of this learner's own closed contacts with the open record (never another learner's):
        only once verified, like the rest of the record. (The record's seeded earlier interactions are
        listed beside them.)"""
        if not (self.verified and self.record):
            return []
        return customer_history(self.record.id, self.contact.id, self.contact.learner_id)


def workspace(contact: Contact) -> Workspace:
    """The desk's view of ``contact``. An opened contact whose policy is not valid is refused with
    what a trainer must fix (``check_policy``); a queued one has no ID&V state yet, and taking it
    checks the cohort's policy."""
    events = contact_events(contact.id)
    if contact.status == "queued":
        idv = IdvState()
    else:
        check_policy(contact)
        idv = verification_state(contact.policy, events)
    ws = Workspace(contact, events, idv, notes=notes_from(events))
    for ev in events:
        if ev.type == "customer.searched":
            ws.search = ev.data
        elif ev.type == "customer.viewed":
            ws.record_id = ev.data["customer_id"]
        elif ev.type == "kb.viewed":
            ws.article_slug = ev.data["article"]
    return ws


def policy_figures(policy: dict) -> dict[str, str]:
    """The policy's figures as the knowledge-base articles name them (``{authority_limit}`` and so on)."""
    return {
        "authority_limit": money(policy.get("authority_limit", 0)),
        "idv_required": str(policy.get("idv_required", "")),
        "lockout_attempts": str(policy.get("lockout_attempts", "")),
        "late_log_minutes": str(policy.get("late_log_minutes", "")),
    }
