"""The assessor's dashboard: a cohort's learners, contacts, findings and KPIs."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, ContactSummary, User
from crm_sandbox.operations import summaries
from crm_sandbox.queries import kpis

STATUSES = ("queued", "live", "closed", "reviewed")
PAGE_SIZE = 50  # contact rows drawn per page: the page costs what it shows, not the cohort's size
AWAITING_SHOWN = 20  # the review queue's first rows; the rest are one click away (status "closed")


@dataclass
class ContactRow:
    contact: Contact
    status: str  # queued | live | closed | reviewed (signed off)
    findings: Counter
    kpis: kpis.ContactKpis
    assessment: Assessment | None
    title: str = ""  # the scenario's title (read without loading the contact's scenario snapshot)


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


def summary_kpis(s: ContactSummary | None) -> kpis.ContactKpis:
    """A contact's KPIs from its summary, as ``kpis.contact_kpis`` computes them from its events."""
    if s is None:
        return kpis.ContactKpis(None, None, None, None, 0)
    closed = s.closed_at is not None
    return kpis.ContactKpis(
        handling_seconds=_seconds(s.opened_at, s.closed_at),
        verify_seconds=_seconds(s.opened_at, s.verified_at),
        first_response_seconds=_seconds(s.opened_at, s.first_response_at),
        resolved_first_time=bool(s.resolved) if closed else None,
        findings=s.findings_high + s.findings_medium + s.findings_low,
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def cohort_dashboard(cohort_id: int, learner_id: int | None = None, status: str | None = None) -> list[LearnerRow]:
    """Every learner of the cohort with their contacts (filtered), findings and KPIs: three queries, each
    contact's figures read from its maintained summary (``operations/summaries.py``), no event loaded."""
    learners = (
        db.session.execute(
            select(User).where(User.cohort_id == cohort_id, User.role == "learner").order_by(User.username)
        )
        .scalars()
        .all()
    )
    where = [Contact.cohort_id == cohort_id] + ([Contact.learner_id == learner_id] if learner_id is not None else [])
    order = (Contact.learner_id, Contact.position)
    contacts: list[tuple[Contact, ContactSummary | None, str]]
    if summaries.enabled():  # the snapshots (scenario, policy) stay unread: decoding them cost more than the rest
        scenario_title = func.coalesce(Contact.scenario["title"].as_string(), Contact.scenario_id)
        query = select(Contact, ContactSummary, scenario_title).outerjoin(
            ContactSummary, ContactSummary.contact_id == Contact.id
        )
        options = (defer(Contact.policy), defer(Contact.scenario))
        contacts = [(c, s, t) for c, s, t in db.session.execute(query.where(*where).options(*options).order_by(*order))]
    else:  # a database not yet upgraded: derived as the page is read
        loaded = db.session.execute(select(Contact).where(*where).order_by(*order)).scalars().all()
        derived = summaries.derived_rows(db.session(), [c.id for c in loaded])
        contacts = [(c, derived.get(c.id), c.title) for c in loaded]
    assessments = {
        a.contact_id: a
        for a in db.session.execute(
            select(Assessment)
            .join(Contact, Contact.id == Assessment.contact_id)
            .where(Contact.cohort_id == cohort_id, Assessment.voided_at.is_(None))
        ).scalars()
    }
    rows = {u.id: LearnerRow(u) for u in learners if learner_id in (None, u.id)}
    for c, summary, title in contacts:
        if c.learner_id not in rows:
            continue
        if summary is not None:
            state = summary.status
            found = Counter({sev: n for sev, n in summary.findings_by_severity().items() if n})
        else:  # no summary yet: a queued contact (or one from before summaries: `flask rebuild-summaries`)
            state, found = ("reviewed" if c.id in assessments else c.status), Counter()
        if status and state != status:
            continue
        rows[c.learner_id].contacts.append(
            ContactRow(c, state, found, summary_kpis(summary), assessments.get(c.id), title)
        )
    return list(rows.values())


def awaiting_review(rows: list[LearnerRow]) -> list[ContactRow]:
    return [r for lr in rows for r in lr.contacts if r.status == "closed"]


@dataclass
class Page:
    """One page of a list: its ``rows``, its ``number`` (from 1) of ``count`` pages, ``total`` rows in all."""

    rows: list
    number: int
    count: int
    total: int
    size: int
    asked: str = ""  # the page number asked for, when it was not one we have (shown, then the nearest page)

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.total else 0


def page_of(rows: list, asked: str, size: int | None = None) -> Page:
    """Page ``asked`` (text from the query string) of ``rows``: a missing page number is page 1; one that is
    not a whole number, 0, or past the end gives the nearest page, and ``asked`` says what was asked."""
    size = size or PAGE_SIZE
    count = max(1, -(-len(rows) // size))
    number = int(asked) if asked.isdecimal() and len(asked) <= 9 else None
    wrong = "" if asked == "" or number is not None and 1 <= number <= count else asked[:20]
    number = min(max(number or 1, 1), count)
    return Page(rows[(number - 1) * size : number * size], number, count, len(rows), size, wrong)


def contact_rows(rows: list[LearnerRow]) -> list[tuple[LearnerRow, ContactRow]]:
    """Every contact row with its learner, in the dashboard's order (learner by username, queue position)."""
    return [(lr, r) for lr in rows for r in lr.contacts]
