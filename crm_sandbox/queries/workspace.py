"""What the learner desk shows for a contact, derived from its events."""

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from sqlalchemy import Select, select

from crm_sandbox.compliance.verification import IdvState, verification_state
from crm_sandbox.content.knowledge import Article, get_article
from crm_sandbox.events.append import contact_events
from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, Customer, Event, Finding
from crm_sandbox.operations.contact_operation import check_policy
from crm_sandbox.operations.desk.notes import Note, customer_history, notes_from
from crm_sandbox.operations.findings import active_findings
from crm_sandbox.queries import caller_state
from crm_sandbox.queries import customers as customer_service
from crm_sandbox.queries.customers import SearchHit
from crm_sandbox.queries.queue import QueueItem, learner_title, queue_of
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

    # The record, the search's hits and the queue are read only when a page shows them (not by the poll):
    # the customers in one query (``desk_customers``), the queue in another.
    @cached_property
    def customers(self) -> dict[int, Customer]:
        """The customers the desk shows, by id: the open record, the caller's, the last search's hits."""
        records = [i for i in (self.record_id, self.contact.customer_id) if i]
        hits = [r["id"] for r in self.search["results"]] if self.search and "results" in self.search else []
        with_account = self.record_id == self.contact.customer_id and self.idv.verified
        return customer_service.desk_customers(
            self.contact.cohort_id, self.contact.learner_id, hits, records, with_account
        )

    @cached_property
    def record(self) -> Customer | None:
        return self.customers.get(self.record_id) if self.record_id else None

    @cached_property
    def queue(self) -> list[QueueItem]:
        """The learner's queue (on the desk beside the contact)."""
        return queue_of(self.contact.learner_id)

    @property
    def next_contact(self) -> QueueItem | None:
        """What to work on after this contact: the learner's live contact, else the first queued one."""
        others = [q for q in self.queue if q.id != self.contact.id]
        return next((q for q in others if q.status == "live"), None) or next(
            (q for q in others if q.status == "queued"), None
        )

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
        """The records the last search listed, as shown now (read with ``customers``)."""
        if not self.search:
            return []
        if "results" not in self.search:  # recorded before searches kept their results: search again
            return customer_service.search(
                self.contact.cohort_id, self.search["query"], learner_id=self.contact.learner_id
            )
        found = self.customers
        return [
            SearchHit.of(i, found[i].ref, found[i].personal)
            for i in (r["id"] for r in self.search["results"])
            if i in found
        ]

    @property
    def caller(self) -> Customer:
        """The caller's own record (read with ``customers``)."""
        return self.customers.get(self.contact.customer_id) or self.contact.customer

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
        """Whether the learner sees coaching tips (``practice_on``)."""
        return practice_on(self.contact)

    def tips(self) -> list[Finding]:
        """The coaching tips to show: none unless ``practice``."""
        return active_findings(self.contact.id) if self.practice else []

    @property
    def typing(self) -> bool:
        """Whether the caller is typing a reply (shown by the desk's typing indicator)."""
        return self.contact.status == "live" and caller_state.caller_typing(self.contact, self.events)

    def history(self) -> list[Note]:
        """The notes of this learner's own closed contacts with the open record (never another learner's):
        only once verified, like the rest of the record. (The record's seeded earlier interactions are
        listed beside them.)"""
        if not (self.verified and self.record):
            return []
        record_id = self.record.id
        if not any(q.customer_id == record_id and q.status == "closed" and q.id != self.contact.id for q in self.queue):
            return []  # no other closed contact of this learner with this record: nothing to read
        return customer_history(record_id, self.contact.id, self.contact.learner_id)


@dataclass
class Updates:
    """What changed on a contact since the client's cursor (``after``): read by the desk's poll."""

    contact: Contact
    events: list[Event]  # the events after the cursor, in order (all types: the cursor moves past each)
    last_seq: int  # the new cursor
    typing: bool = False  # whether the caller is typing a reply

    @property
    def messages(self) -> list[Event]:
        return [e for e in self.events if e.type in MESSAGE_TYPES]

    @property
    def practice(self) -> bool:
        return practice_on(self.contact)

    def tips(self) -> list[Finding]:
        """The coaching tips to show: none unless ``practice``."""
        return active_findings(self.contact.id) if self.practice else []

    def subject(self, recorded: str | None) -> str:
        return shown_subject(self.contact.scenario, recorded)


def events_after(contact_id: int, after: int) -> list[Event]:
    """The contact's events after seq ``after``, in order: one range read on the ``(contact_id, seq)``
    index, so a poll with nothing new costs the same on a long contact as on a short one."""
    return list(db.session.execute(after_cursor(contact_id, after)).scalars())


def after_cursor(contact_id: int, after: int) -> Select[Event]:
    """The query of ``events_after``."""
    return select(Event).where(Event.contact_id == contact_id, Event.seq > after).order_by(Event.seq)


def updates(contact: Contact, after: int) -> Updates:
    """The contact's events since the cursor ``after`` (the desk's poll), never its whole history. An
    opened contact whose policy is not valid is refused, as by ``workspace``."""
    if contact.status != "queued":
        check_policy(contact)
    events = events_after(contact.id, after)
    typing = contact.status == "live" and caller_state.caller_typing(contact)
    return Updates(contact, events, events[-1].seq if events else after, typing)


def practice_on(contact: Contact) -> bool:
    """Whether the learner sees the rules' findings as coaching tips while they work: only on a practice
    contact, and only when its policy's practice mode is on. An observed assessment never shows tips,
    whatever the cohort's practice mode (they would coach the learner through the test)."""
    return contact.mode == "practice" and contact.status != "queued" and contact.policy.get("practice_mode") is True


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
