"""Standardisation as each person may read it: blind for an invited assessor until they submit their marks
on a contact (no other rater's marks, no original decision, no rules-engine flags), everything for the IQA
or trainer who runs it. Agreement per kind of item, with the rules engine as one more rater on breaches.
"""

from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from crm_sandbox.compliance.engine import RULES
from crm_sandbox.content.criteria import load_criteria
from crm_sandbox.events.append import contact_events
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, Finding, StandardisationExercise, StandardisationMark, User
from crm_sandbox.models.quality import BREACH, NO_BREACH, OVERALL, StandardisationOutcome
from crm_sandbox.models.review import ASSESSMENT_OUTCOMES, CRITERION_STATUSES, OUTCOMES
from crm_sandbox.quality.agreement import Agreement, agreement
from crm_sandbox.queries.qualifications import qualification_of
from crm_sandbox.queries.quality.countersign import quality_enabled
from crm_sandbox.queries.review import assessment_of

ENGINE = "rules engine"
KINDS = {"breach": "Breach or no breach, per rule", "criterion": "Criterion judgements", "overall": "Overall outcome"}
# What a blind marker may see of the contact: the learner's work, the caller and the system, never the
# assessor's or the IQA's events (observations, sign-offs, verdicts carry the original decision).
BLIND_ACTORS = ("learner", "caller", "system")


def exercises_of(cohort_id: int) -> list[StandardisationExercise]:
    query = select(StandardisationExercise).where(StandardisationExercise.cohort_id == cohort_id)
    return list(db.session.execute(query.order_by(StandardisationExercise.id.desc())).scalars())


def invited_to(user: User) -> list[StandardisationExercise]:
    """The exercises ``user`` is invited to mark, newest first."""
    query = select(StandardisationExercise).order_by(StandardisationExercise.id.desc())
    return [e for e in db.session.execute(query).scalars() if user.id in e.rater_ids]


def marks_of(exercise_id: int) -> list[StandardisationMark]:
    query = select(StandardisationMark).where(StandardisationMark.exercise_id == exercise_id)
    return list(db.session.execute(query.order_by(StandardisationMark.id)).scalars())


def outcomes_of(exercise_id: int) -> list[StandardisationOutcome]:
    query = select(StandardisationOutcome).where(StandardisationOutcome.exercise_id == exercise_id)
    return list(db.session.execute(query.order_by(StandardisationOutcome.id)).scalars())


def blind_contact_ids(user: User) -> set[int]:
    """The contacts ``user`` is to mark blind and has not yet: their flags, decisions and reviews stay hidden
    from ``user`` everywhere (dashboards, exports, learner records) until they submit."""
    if user.role != "assessor" or not quality_enabled():
        return set()
    pending: set[int] = set()
    for exercise in invited_to(user):
        marked = db.session.execute(
            select(StandardisationMark.contact_id).where(
                StandardisationMark.exercise_id == exercise.id, StandardisationMark.rater_id == user.id
            )
        ).scalars()
        pending |= set(exercise.contact_ids) - set(marked)
    return pending


def blind_pending(user: User, contact_id: int) -> bool:
    """Whether ``user`` is to mark ``contact_id`` blind and has not yet: everything else about the contact's
    judgement stays hidden from them until they submit."""
    if user.role != "assessor" or not quality_enabled():
        return False
    for exercise in invited_to(user):
        if contact_id in exercise.contact_ids:
            done = db.session.execute(
                select(StandardisationMark.id).where(
                    StandardisationMark.exercise_id == exercise.id,
                    StandardisationMark.contact_id == contact_id,
                    StandardisationMark.rater_id == user.id,
                )
            ).first()
            if done is None:
                return True
    return False


@dataclass
class MarkingItem:
    key: str  # the mark's key: a rule id, a criterion id, or OVERALL
    kind: str  # a key of KINDS
    label: str
    choices: dict[str, str]


def marking_items(contact: Contact) -> list[MarkingItem]:
    """What a rater marks on a contact: each rule (breach or not), each criterion of the learner's
    qualification, and the overall outcome."""
    items = [
        MarkingItem(rule, "breach", rule.replace("-", " ").capitalize(), {BREACH: "Breach", NO_BREACH: "No breach"})
        for rule in RULES
    ]
    files = {u.seed for u in qualification_of(contact.learner).units}
    for criterion in load_criteria(current_app.config["SEED_DIR"]):
        if criterion.source.file in files:
            label = f"{criterion.code} {criterion.title}"
            items.append(MarkingItem(criterion.id, "criterion", label, dict(CRITERION_STATUSES)))
    outcomes = {k: OUTCOMES[k] for k in ASSESSMENT_OUTCOMES}
    items.append(MarkingItem(OVERALL, "overall", "Overall outcome", outcomes))
    return items


def blind_events(contact: Contact) -> list[Event]:
    """The contact's timeline without the assessor's or IQA's events: what a blind marker reads."""
    return [e for e in contact_events(contact.id) if e.actor in BLIND_ACTORS]


def engine_breaches(contact_id: int) -> set[str]:
    """The rules the rules engine finds breached on the contact (its active findings)."""
    query = select(Finding.rule).where(
        Finding.contact_id == contact_id, Finding.source == "rules", Finding.active.is_(True)
    )
    return set(db.session.execute(query).scalars())


@dataclass
class Disagreement:
    contact_id: int
    kind: str
    item: str
    ratings: dict[str, str]  # rater (or ENGINE) -> their mark


@dataclass
class Results:
    """An exercise's agreement figures per kind of item, the disagreements, and each rater's agreement
    with the majority."""

    raters: list[str]
    agreement: dict[str, Agreement]
    disagreements: list[Disagreement] = field(default_factory=list)
    with_majority: dict[str, float | None] = field(default_factory=dict)


def results(exercise: StandardisationExercise) -> Results:
    """Agreement on the marks submitted so far (a contact counts once every rater who marked anything has
    marked it). The rules engine is one more rater on the breach items."""
    marks = marks_of(exercise.id)
    users = {
        u.id: u.username for u in db.session.execute(select(User).where(User.id.in_(exercise.rater_ids))).scalars()
    }
    raters = [r for r in exercise.rater_ids if any(m.rater_id == r for m in marks)]
    by = {(m.contact_id, m.rater_id): m.marks for m in marks}
    rows: dict[str, list[list[str | None]]] = {k: [] for k in KINDS}
    names = [users.get(r, str(r)) for r in raters]
    found = Results(names + [ENGINE], {})
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for contact_id in exercise.contact_ids:
        given = [by.get((contact_id, r)) for r in raters]
        breaches = engine_breaches(contact_id)
        keys = sorted({k for g in given if g for k in g})
        for key in keys:
            values = [g.get(key) if g else None for g in given]
            kind = "overall" if key == OVERALL else "breach" if key in RULES else "criterion"
            if kind == "breach":
                values = values + [BREACH if key in breaches else NO_BREACH]
            rows[kind].append(values)
            present = [v for v in values if v is not None]
            if len(set(present)) > 1:
                labels = names + [ENGINE] if kind == "breach" else names
                found.disagreements.append(
                    Disagreement(contact_id, kind, key, {n: v for n, v in zip(labels, values) if v is not None})
                )
            if len(present) > 1:
                majority = Counter(present).most_common(1)[0][0]
                for name, value in zip(names, values):
                    if value is not None:
                        total[name] += 1
                        agree[name] += value == majority
    for kind, ratings in rows.items():
        found.agreement[kind] = agreement(ratings)
    found.with_majority = {n: (agree[n] / total[n] if total[n] else None) for n in names}
    return found


def original_outcome(contact: Contact) -> str | None:
    """The learner's record as it stands (what an agreed outcome is compared with)."""
    signed = assessment_of(contact)
    return signed.outcome if signed else None


def rater_over_time(user_id: int) -> list[tuple[StandardisationExercise, float | None]]:
    """A rater's agreement with the majority in each exercise they marked, oldest first."""
    user = db.session.get(User, user_id)
    if user is None:
        return []
    exercises = [e for e in reversed(invited_to(user)) if any(m.rater_id == user_id for m in marks_of(e.id))]
    return [(e, results(e).with_majority.get(user.username)) for e in exercises]
