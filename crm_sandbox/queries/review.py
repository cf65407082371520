"""The review read model: what the assessor's review page, the reports and the evidence pack show for a
contact, and the report data that spans contacts (a learner's reviews, a cohort's opened contacts).

Reads only: the decisions, judgements and sign-off that change a review are in ``operations/review.py``.
"""

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from crm_sandbox.content.criteria import Criterion, load_criteria
from crm_sandbox.errors import NotFound
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.chain import ChainStatus, verify_contact
from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Cohort, Contact, CriterionJudgement, Event, Finding, User
from crm_sandbox.queries import kpis, spelling


@dataclass
class CriterionRow:
    criterion: Criterion
    events: list[Event]  # the events that evidence it, linked automatically
    against: list[Finding]  # findings (not dismissed) of the rules that count against it
    judgement: CriterionJudgement | None  # the newest
    history: list[CriterionJudgement] = field(default_factory=list)


@dataclass
class ContactReview:
    contact: Contact
    events: list[Event]
    findings: list[Finding]  # active rule findings and the assessor's own, in evidence order
    criteria: list[CriterionRow]
    spelling: dict[int, list[str]]  # learner message seq -> misspelt words
    kpis: kpis.ContactKpis
    assessment: Assessment | None

    @cached_property
    def chain(self) -> ChainStatus:
        """The event log's integrity, checked on first use (the review page shows it; reports do not)."""
        return verify_contact(self.contact.id, events=self.events)

    def findings_for(self, seq: int) -> list[Finding]:
        return [f for f in self.findings if seq in f.events]

    def highlights(self, seq: int) -> list[str]:
        """The exact spans flagged in this event's text, for highlighting."""
        return [f.evidence for f in self.findings_for(seq) if f.evidence]

    @cached_property
    def users(self) -> dict[int, User]:
        """The users who recorded the events, by id (the record names the assessor who observed)."""
        return users_by_id({e.actor_user_id for e in self.events if e.actor_user_id})


def review_findings(contact_id: int) -> list[Finding]:
    """The rules' findings that still hold and every finding of the assessor's own, each once, in
    event order, with their decisions loaded (the review reads each one's standing decision)."""
    rows = (
        db.session.execute(
            select(Finding)
            .where(Finding.contact_id == contact_id, or_(Finding.active, Finding.source == "assessor"))
            .options(selectinload(Finding.decisions))
        )
        .scalars()
        .all()
    )
    return sorted(rows, key=lambda f: (min(f.events or [0]), f.id))


def flags_by_event(findings: list[Finding]) -> dict[int, list[str]]:
    """Event seq -> the rules of ``findings`` that the event evidences."""
    flags: dict[int, list[str]] = {}
    for f in findings:
        for seq in f.events:
            flags.setdefault(seq, []).append(f.rule)
    return flags


def observed_events(contact_id: int) -> tuple[list[Event], dict[int, list[str]]]:
    """The contact's events and, by seq, the rules flagged on each: what the live timeline polls for
    (every 1.5 s by every observer, so not the whole review)."""
    return contact_events(contact_id), flags_by_event(review_findings(contact_id))


def _known_words(contact: Contact) -> set[str]:
    c = contact.customer
    words = {c.first_name, c.middle_name, c.last_name, c.town, contact.learner.display_name}
    words |= {w for v in contact.scenario.get("facts", {}).values() for w in str(v).split()}
    return {w.lower() for v in words if v for w in str(v).split()}


def assessment_of(contact: Contact) -> Assessment | None:
    """The contact's signed assessment, or None before sign-off."""
    return db.session.execute(select(Assessment).where(Assessment.contact_id == contact.id)).scalar_one_or_none()


def released_assessment(contact: Contact) -> Assessment:
    """The contact's assessment if its report has been released to the learner; NotFound otherwise."""
    assessment = assessment_of(contact)
    if assessment is None or assessment.released_at is None:
        raise NotFound("This report has not been released to you yet.")
    return assessment


def contact_review(contact: Contact) -> ContactReview:
    """Everything the review page, the reports and the evidence pack show for a contact."""
    seed_dir = current_app.config["SEED_DIR"]
    events = contact_events(contact.id)
    findings = review_findings(contact.id)
    judgements = (
        db.session.execute(
            select(CriterionJudgement)
            .where(CriterionJudgement.contact_id == contact.id)
            .order_by(CriterionJudgement.id)
        )
        .scalars()
        .all()
    )
    rows = []
    for c in load_criteria(seed_dir):
        history = [j for j in judgements if j.criterion_id == c.id]
        against = [f for f in findings if f.rule in c.rules and not (f.decision and f.decision.decision == "dismissed")]
        rows.append(
            CriterionRow(
                c, [e for e in events if e.type in c.event_types], against, history[-1] if history else None, history
            )
        )
    known = _known_words(contact)
    spelt = {
        e.seq: words
        for e in events
        if e.type == "message.sent" and (words := spelling.misspellings(seed_dir, e.data.get("text", ""), known))
    }
    return ContactReview(
        contact,
        events,
        findings,
        rows,
        spelt,
        kpis.contact_kpis(events, len([f for f in findings if f.source == "rules"])),
        assessment_of(contact),
    )


def released_review(contact: Contact) -> ContactReview:
    """The contact's review, if its report has been released to the learner; NotFound otherwise."""
    released_assessment(contact)
    return contact_review(contact)


# ---- report data that spans contacts


def opened_contacts(learner: User) -> list[Contact]:
    """The learner's contacts that have been opened (live or closed), in queue order."""
    return list(
        db.session.execute(
            select(Contact)
            .where(Contact.learner_id == learner.id, Contact.opened_at.is_not(None))
            .order_by(Contact.position, Contact.id)
        ).scalars()
    )


def learner_reviews(learner: User) -> list[ContactReview]:
    """The review of every contact the learner has opened, in queue order."""
    return [contact_review(c) for c in opened_contacts(learner)]


def cohort_contacts(cohort: Cohort) -> list[Contact]:
    """The cohort's opened contacts, by learner username, then queue order."""
    return list(
        db.session.execute(
            select(Contact)
            .join(User, Contact.learner_id == User.id)
            .where(Contact.cohort_id == cohort.id, Contact.opened_at.is_not(None))
            .order_by(User.username, Contact.position, Contact.id)
        ).scalars()
    )


def all_findings(contact: Contact) -> list[Finding]:
    """Every finding ever stored on the contact, including rule findings that no longer hold."""
    return list(
        db.session.execute(select(Finding).where(Finding.contact_id == contact.id).order_by(Finding.id)).scalars()
    )


def users_by_id(ids: set[int]) -> dict[int, User]:
    """The users with these ids (one query; none for no ids)."""
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}


def username(user_id: int | None) -> str | None:
    """The username of ``user_id`` (None for none, or an account that no longer exists)."""
    user = db.session.get(User, user_id) if user_id else None
    return user.username if user else None
