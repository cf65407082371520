"""The review read model: what the assessor's review page, the reports and the evidence pack show for a
contact, and the report data that spans contacts (a learner's reviews, a cohort's opened contacts).

Reads only: the decisions, judgements and sign-off that change a review are in ``operations/review.py``.
"""

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from crm_sandbox.compliance import relevance
from crm_sandbox.compliance.document import SessionFormatError, parse_session
from crm_sandbox.content.criteria import Criterion, Qualification, criteria_for, load_criteria
from crm_sandbox.errors import NotFound
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.chain import ChainStatus, verify_contact
from crm_sandbox.extensions import db
from crm_sandbox.formatting import label
from crm_sandbox.models import Assessment, Cohort, Contact, CriterionJudgement, Event, Finding, User
from crm_sandbox.models.review import CRITERION_STATUSES
from crm_sandbox.queries import kpis, spelling
from crm_sandbox.queries.caller_state import MoodLine, mood_lines
from crm_sandbox.queries.qualifications import qualification_of
from crm_sandbox.queries.session_export import session_document
from crm_sandbox.scenarios import load_library

UNDECIDED = "Not yet judged"


@dataclass
class CriterionRow:
    criterion: Criterion
    events: list[Event]  # the events that evidence it, linked by relevance (compliance/relevance.py)
    against: list[Finding]  # findings (not dismissed) of the rules that count against it
    judgement: CriterionJudgement | None  # the newest
    history: list[CriterionJudgement] = field(default_factory=list)
    covered: bool = True  # False: the scenario does not cover the criterion's area ("not covered" at first)
    registered: bool = True  # False: judged earlier under a qualification the learner is no longer on

    @property
    def default_status(self) -> str | None:
        """Where the criterion starts: "not_covered" when the scenario does not cover it, else undecided."""
        return None if self.covered else "not_covered"

    @property
    def status(self) -> str | None:
        """How the criterion stands: the newest judgement's status, else its default (None: undecided).
        The sign-off gate, the review page, the reports and the PDF all read this."""
        return self.judgement.status if self.judgement else self.default_status

    @property
    def status_label(self) -> str:
        return CRITERION_STATUSES.get(self.status, self.status) if self.status else UNDECIDED

    @property
    def defaulted(self) -> bool:
        """The status is the scenario's default, not an assessor's judgement."""
        return self.judgement is None and self.status is not None


@dataclass
class UnitCriteria:
    """One unit's criteria on the review: the unit as its seed file names it, and its rows."""

    unit: str
    qualifications: tuple[str, ...]  # the qualification titles the unit's source names
    unit_ref: str  # the awarding body's unit reference: empty until a centre fills it in
    rows: list[CriterionRow]


@dataclass
class ContactReview:
    contact: Contact
    events: list[Event]
    findings: list[Finding]  # active rule findings and the assessor's own, in evidence order
    criteria: list[CriterionRow]
    spelling: dict[int, list[str]]  # learner message seq -> misspelt words
    kpis: kpis.ContactKpis
    assessment: Assessment | None  # the signed version that stands (None: not signed, or reopened)
    versions: list[Assessment] = field(default_factory=list)  # every signed version, oldest first

    @property
    def locked(self) -> bool:
        """Signed off: nothing on the review changes until it is reopened."""
        return self.assessment is not None

    @property
    def mood(self) -> list[MoodLine]:
        """The simulated caller's mood changes, as context (``templates/assessor/_mood.html``)."""
        return mood_lines(self.events)

    @property
    def superseded(self) -> list[Assessment]:
        """The versions a reopening voided, oldest first (kept and shown as superseded)."""
        return [v for v in self.versions if v.voided_at is not None]

    @property
    def practice(self) -> bool:
        return self.contact.mode == "practice"

    @property
    def missing(self) -> list[str]:
        """What must be decided before the review can be signed off (empty: it can be)."""
        missing = []
        if self.contact.status != "closed":
            missing.append("The learner has not closed the contact yet.")
        for f in self.findings:
            if f.decision is None:
                seqs = ", ".join(f"#{s}" for s in f.events)
                missing.append(
                    f"Finding \u201c{label(f.rule)}\u201d ({f.severity}, events {seqs}): confirm or dismiss it."
                )
        for row in self.criteria:
            if row.status is None and row.registered:
                missing.append(
                    f"Criterion {row.criterion.code} ({row.criterion.title}): judge it met, not yet met "
                    "or not covered by this observation."
                )
        return missing

    @property
    def competent_despite(self) -> list[str]:
        """Why an overall "competent" would need an explicit reason: unmet criteria, confirmed high findings."""
        unmet = [row.criterion.code for row in self.criteria if row.status == "not_met"]
        reasons = [f"{', '.join(unmet)} {'is' if len(unmet) == 1 else 'are'} judged not yet met"] if unmet else []
        confirmed: dict[str, int] = {}
        for f in self.findings:
            if f.severity == "high" and f.decision is not None and f.decision.decision == "confirmed":
                confirmed[label(f.rule)] = confirmed.get(label(f.rule), 0) + 1
        for rule, n in confirmed.items():
            times = f" ({n} times)" if n > 1 else ""
            reasons.append(f"the high-severity finding \u201c{rule}\u201d{times} is confirmed")
        return reasons

    def snapshot(self) -> dict:
        """What a sign-off signs: every criterion's status and every finding's decision, as they stand."""
        return {
            "criteria": {row.criterion.id: row.status for row in self.criteria},
            "findings": {f.key: f.decision.decision if f.decision else None for f in self.findings},
        }

    qualification: Qualification | None = None  # the learner's, whose criteria the review shows

    @cached_property
    def units(self) -> list[UnitCriteria]:
        """The criteria grouped by unit, in the qualification's order (criteria judged earlier under
        another qualification come last, under their own unit)."""
        groups: dict[tuple[str, str], UnitCriteria] = {}
        for row in self.criteria:
            src = row.criterion.source
            key = (src.file, src.unit)
            if key not in groups:
                unit = self.qualification.unit_of(src.file) if self.qualification else None
                ref = unit.unit_ref if unit else row.criterion.unit_ref
                groups[key] = UnitCriteria(src.unit, src.qualifications, ref, [])
            groups[key].rows.append(row)
        return list(groups.values())

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


def assessment_versions(contact_id: int) -> list[Assessment]:
    """Every signed version of the contact's assessment, oldest first (voided ones included)."""
    return list(
        db.session.execute(
            select(Assessment).where(Assessment.contact_id == contact_id).order_by(Assessment.version)
        ).scalars()
    )


def standing(versions: list[Assessment]) -> Assessment | None:
    """The version that stands: the newest not voided (None: never signed, or reopened since)."""
    return next((v for v in reversed(versions) if v.voided_at is None), None)


def assessment_of(contact: Contact) -> Assessment | None:
    """The contact's signed assessment that stands, or None before sign-off (or after a reopening)."""
    return (
        db.session.execute(
            select(Assessment)
            .where(Assessment.contact_id == contact.id, Assessment.voided_at.is_(None))
            .order_by(Assessment.version.desc())
        )
        .scalars()
        .first()
    )


def released_assessment(contact: Contact) -> Assessment:
    """The contact's assessment if its report has been released to the learner; NotFound otherwise."""
    versions = assessment_versions(contact.id)
    assessment = standing(versions)
    if assessment is None or assessment.released_at is None:
        withdrawn = [v for v in versions if v.voided_at is not None]
        if withdrawn:
            raise NotFound(
                f"This report (version {withdrawn[-1].version}) was withdrawn: your assessor reopened the review "
                "to change it. The new version will appear here once it is signed and released."
            )
        raise NotFound("This report has not been released to you yet.")
    return assessment


def scenario_covers(contact: Contact) -> set[str] | None:
    """The observation areas the contact's scenario covers: as copied into the contact when it was
    assigned, else (a contact assigned before scenarios declared them) as its library file says now;
    None when neither says (every criterion is then treated as covered)."""
    covers = contact.scenario.get("covers")
    if covers is None:
        library = {f.id: f for f in load_library(current_app.config["SEED_DIR"]) if f.scenario}
        found = library.get(contact.scenario_id)
        covers = found.scenario.get("covers") if found and found.scenario else None
    return set(covers) if isinstance(covers, list) else None


def criterion_rows(
    contact: Contact,
    qualification: Qualification,
    events: list[Event],
    findings: list[Finding],
    judgements: list[CriterionJudgement],
    spelt: dict[int, list[str]],
) -> list[CriterionRow]:
    """A row per criterion of the learner's qualification (then per criterion judged on this contact
    under another): the events linked by relevance, the findings against it, whether the scenario
    covers it, and its judgements."""
    seed_dir = current_app.config["SEED_DIR"]
    mine = criteria_for(seed_dir, qualification)
    own = {c.id for c in mine}
    every = {c.id: c for c in load_criteria(seed_dir)}
    judged_elsewhere = [
        every[i] for i in dict.fromkeys(j.criterion_id for j in judgements) if i not in own and i in every
    ]
    try:
        by_kind = relevance.evidence(parse_session(session_document(contact, events)), spelt)
    except SessionFormatError:  # the contact's policy needs fixing (the page says so): nothing linked yet
        by_kind = {}
    by_seq = {e.seq: e for e in events}
    covers = scenario_covers(contact)
    rows = []
    for c in mine + judged_elsewhere:
        history = [j for j in judgements if j.criterion_id == c.id]
        against = [f for f in findings if f.rule in c.rules and not (f.decision and f.decision.decision == "dismissed")]
        rows.append(
            CriterionRow(
                c,
                [by_seq[seq] for seq in relevance.linked(by_kind, c.evidence) if seq in by_seq],
                against,
                history[-1] if history else None,
                history,
                covered=covers is None or c.area in covers,
                registered=c.id in own,
            )
        )
    return rows


def contact_review(contact: Contact) -> ContactReview:
    """Everything the review page, the reports and the evidence pack show for a contact."""
    seed_dir = current_app.config["SEED_DIR"]
    events = contact_events(contact.id)
    findings = review_findings(contact.id)
    judgements = list(
        db.session.execute(
            select(CriterionJudgement)
            .where(CriterionJudgement.contact_id == contact.id)
            .order_by(CriterionJudgement.id)
        )
        .scalars()
        .all()
    )
    known = _known_words(contact)
    spelt = {
        e.seq: words
        for e in events
        if e.type == "message.sent" and (words := spelling.misspellings(seed_dir, e.data.get("text", ""), known))
    }
    versions = assessment_versions(contact.id)
    qualification = qualification_of(contact.learner)
    return ContactReview(
        contact,
        events,
        findings,
        criterion_rows(contact, qualification, events, findings, judgements, spelt),
        spelt,
        kpis.contact_kpis(events, len([f for f in findings if f.source == "rules"])),
        standing(versions),
        versions,
        qualification,
    )


def released_review(contact: Contact) -> ContactReview:
    """The contact's review, if its report has been released to the learner; NotFound otherwise. The IQA's
    verdicts on the assessor's decision and their answers are between the IQA and the assessor: not shown."""
    released_assessment(contact)
    review = contact_review(contact)
    review.events = [e for e in review.events if not e.type.startswith(IQA_EVENTS)]
    return review


IQA_EVENTS = ("iqa.",)  # the quality assurance between IQA and assessor (events/registry.py IQA_*)


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


def learner_reviews(learner: User, leave_out: set[int] | None = None) -> list[ContactReview]:
    """The review of every contact the learner has opened, in queue order, but those in ``leave_out`` (not
    even read)."""
    return [contact_review(c) for c in opened_contacts(learner) if c.id not in (leave_out or set())]


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
