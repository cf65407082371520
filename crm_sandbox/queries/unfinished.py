"""Work a cohort reset would cut short: what the trainer sees before confirming, and what the archive records.

After a reset the accounts are gone, so a contact not yet reviewed, or a report not yet signed by its
learner, can never be finished in the app (its evidence stays readable in the archive). Each contact
counts once, under the first step it is waiting for.
"""

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import contact_ref
from crm_sandbox.models import (
    Assessment,
    Contact,
    Countersignature,
    CriterionJudgement,
    Finding,
    FindingDecision,
    IqaVerdict,
    User,
)
from crm_sandbox.queries.quality.countersign import needs_countersignature, quality_enabled

# The kinds, in the order a contact moves through them; the labels are the headings trainers see.
KINDS = {
    "live": "Live contacts (a learner is working on them now)",
    "not_reviewed": "Closed contacts not yet reviewed",
    "review_unsigned": "Reviews started but not signed off",
    "not_countersigned": "Decisions by trainee assessors not yet countersigned (provisional)",
    "report_unreleased": "Signed-off reports not released to the learner",
    "report_unacknowledged": "Released reports not yet acknowledged by the learner",
    "not_sampled": "Signed-off assessments the IQA has not sampled",
}
STATES = {  # one contact's state, as a line of the archive says it
    "live": "live",
    "not_reviewed": "not reviewed",
    "review_unsigned": "review not signed off",
    "not_countersigned": "decision not countersigned",
    "report_unreleased": "report not released",
    "report_unacknowledged": "report not acknowledged",
    "not_sampled": "not sampled by the IQA",
}


@dataclass(frozen=True)
class UnfinishedContact:
    kind: str  # a key of KINDS
    contact_id: int
    contact_ref: str  # "c-12", as named in the evidence pack
    learner_username: str
    learner_name: str
    title: str  # the scenario's title
    mode: str  # practice | assessment

    def as_record(self) -> dict:
        """The plain form kept in the archive's index (no database ids: they mean nothing after the reset)."""
        return {
            "kind": self.kind,
            "state": STATES[self.kind],
            "contact": self.contact_ref,
            "learner": self.learner_username,
            "title": self.title,
            "mode": self.mode,
        }


@dataclass
class UnfinishedWork:
    contacts: list[UnfinishedContact] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.contacts)

    @property
    def live(self) -> int:
        return sum(c.kind == "live" for c in self.contacts)

    def groups(self) -> list[tuple[str, str, list[UnfinishedContact]]]:
        """(kind, label, contacts) for each kind with any contact, in KINDS order."""
        return [
            (kind, label, members)
            for kind, label in KINDS.items()
            if (members := [c for c in self.contacts if c.kind == kind])
        ]

    @property
    def fingerprint(self) -> str:
        """Changes when any contact moves between kinds (or in or out): the confirmation is for this list."""
        digest = hashlib.sha256()
        for c in sorted(self.contacts, key=lambda c: c.contact_id):
            digest.update(f"{c.contact_id}:{c.kind};".encode())
        return digest.hexdigest()[:32]


def unfinished_work(cohort_id: int) -> UnfinishedWork:
    """The cohort's live contacts and closed contacts still waiting for review, sign-off, release or the
    learner's acknowledgement, ordered by learner then queue position (four queries, whatever the size)."""
    rows = db.session.execute(
        select(Contact, User)
        .join(User, Contact.learner_id == User.id)
        .where(Contact.cohort_id == cohort_id, Contact.status.in_(("live", "closed")))
        .order_by(User.username, Contact.position, Contact.id)
    ).all()
    ids = [contact.id for contact, _ in rows]
    assessments = {
        a.contact_id: a
        for a in db.session.execute(
            select(Assessment).where(Assessment.contact_id.in_(ids), Assessment.voided_at.is_(None))
        ).scalars()
    }
    reviewed = set(
        db.session.execute(
            select(CriterionJudgement.contact_id).where(CriterionJudgement.contact_id.in_(ids))
        ).scalars()
    )
    reviewed |= set(
        db.session.execute(
            select(Finding.contact_id)
            .outerjoin(FindingDecision, FindingDecision.finding_id == Finding.id)
            .where(Finding.contact_id.in_(ids), (FindingDecision.id.is_not(None)) | (Finding.source == "assessor"))
        ).scalars()
    )
    signed = [a.id for a in assessments.values()] if quality_enabled() else []  # none before the upgrade
    countersigned, sampled = set(), set()
    if signed:
        countersigned = set(
            db.session.execute(
                select(Countersignature.assessment_id).where(Countersignature.assessment_id.in_(signed))
            ).scalars()
        )
        sampled = set(
            db.session.execute(select(IqaVerdict.assessment_id).where(IqaVerdict.assessment_id.in_(signed))).scalars()
        )
    work = UnfinishedWork()
    for contact, learner in rows:
        assessment = assessments.get(contact.id)
        kind = _kind(contact, assessment, contact.id in reviewed)
        if assessment is not None and signed:
            kind = _quality(kind, contact, assessment, countersigned, sampled)
        if kind:
            work.contacts.append(
                UnfinishedContact(
                    kind,
                    contact.id,
                    contact_ref(contact),
                    learner.username,
                    learner.display_name,
                    contact.title,
                    contact.mode,
                )
            )
    return work


def _quality(
    kind: str | None, contact: Contact, assessment: Assessment, countersigned: set[int], sampled: set[int]
) -> str | None:
    """A trainee's unreleased decision waits for its countersignature first (it cannot be released
    before); an observed assessment finished in every other way, but never sampled by an IQA, is listed last."""
    if kind == "report_unreleased" and needs_countersignature(assessment) and assessment.id not in countersigned:
        return "not_countersigned"
    if kind is None and contact.mode == "assessment" and assessment.id not in sampled:
        return "not_sampled"
    return kind


def _kind(contact: Contact, assessment: Assessment | None, review_started: bool) -> str | None:
    if contact.status == "live":
        return "live"
    if assessment is None:
        return "review_unsigned" if review_started else "not_reviewed"
    if assessment.released_at is None:
        return "report_unreleased"
    if assessment.acknowledged_at is None:
        return "report_unacknowledged"
    return None
