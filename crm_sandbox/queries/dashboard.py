"""The assessor's dashboard: a cohort's learners, contacts, findings and KPIs."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, Event, Finding, User
from crm_sandbox.queries import kpis

STATUSES = ("queued", "live", "closed", "reviewed")


@dataclass
class ContactRow:
    contact: Contact
    status: str  # queued | live | closed | reviewed (signed off)
    findings: Counter
    kpis: kpis.ContactKpis
    assessment: Assessment | None


@dataclass
class LearnerRow:
    learner: User
    contacts: list[ContactRow] = field(default_factory=list)

    @property
    def by_status(self) -> Counter:
        return Counter(r.status for r in self.contacts)

    @property
    def findings(self) -> Counter:
        return sum((r.findings for r in self.contacts), Counter())

    @property
    def kpis(self) -> kpis.LearnerKpis:
        return kpis.learner_kpis([r.kpis for r in self.contacts])


def cohort_dashboard(cohort_id: int, learner_id: int | None = None, status: str | None = None) -> list[LearnerRow]:
    """Every learner of the cohort with their contacts (filtered), findings and KPIs, in two queries a kind."""
    learners = (
        db.session.execute(
            select(User).where(User.cohort_id == cohort_id, User.role == "learner").order_by(User.username)
        )
        .scalars()
        .all()
    )
    contacts = (
        db.session.execute(
            select(Contact).where(Contact.cohort_id == cohort_id).order_by(Contact.learner_id, Contact.position)
        )
        .scalars()
        .all()
    )
    ids = [c.id for c in contacts]
    events: defaultdict[int, list[Event]] = defaultdict(list)
    for e in db.session.execute(
        select(Event).where(Event.contact_id.in_(ids)).order_by(Event.contact_id, Event.seq)
    ).scalars():
        events[e.contact_id].append(e)
    findings: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for f in db.session.execute(
        select(Finding).where(Finding.contact_id.in_(ids), Finding.active).options(selectinload(Finding.decisions))
    ).scalars():
        if not (f.decision and f.decision.decision == "dismissed"):
            findings[f.contact_id][f.severity] += 1
    assessments = {
        a.contact_id: a
        for a in db.session.execute(
            select(Assessment).where(Assessment.contact_id.in_(ids), Assessment.voided_at.is_(None))
        ).scalars()
    }
    rows = {u.id: LearnerRow(u) for u in learners if learner_id in (None, u.id)}
    for c in contacts:
        if c.learner_id not in rows:
            continue
        state = "reviewed" if c.id in assessments else c.status
        if status and state != status:
            continue
        rows[c.learner_id].contacts.append(
            ContactRow(
                c,
                state,
                findings[c.id],
                kpis.contact_kpis(events[c.id], sum(findings[c.id].values())),
                assessments.get(c.id),
            )
        )
    return list(rows.values())


def awaiting_review(rows: list[LearnerRow]) -> list[ContactRow]:
    return [r for lr in rows for r in lr.contacts if r.status == "closed"]
