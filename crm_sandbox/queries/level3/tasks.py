"""Level 3 tasks as the pages show them: what was assigned, what the learner did, how a quality review's
scoring compares with the rules' findings and the trainer's reference scoring, and the sign-off.

The comparison never reads the reviewed learner's own assessment (their assessor's decisions,
judgements and sign-off stay private): only the rules engine, run on the contact's export, and the
reference scoring a trainer made for that contact.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from crm_sandbox.compliance.engine import evaluate
from crm_sandbox.content.criteria import Criterion, criteria_for
from crm_sandbox.content.level3 import load_samples
from crm_sandbox.content.scorecards import Scorecard, load_scorecards
from crm_sandbox.errors import NotFound
from crm_sandbox.events.registry import (
    DISCUSSION_RECORDED,
    PERFORMANCE_ANALYSED,
    QUALITY_SCORED,
    REFERENCE_SCORED,
    ROOT_CAUSES_GROUPED,
    TASK_REOPENED,
    TASK_SIGNED,
)
from crm_sandbox.events.streams import stream_events
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Event, Level3Task, User
from crm_sandbox.queries.level3.consent import opted_in
from crm_sandbox.queries.level3.names import contact_secrets, person_names
from crm_sandbox.queries.level3.redact import Line, transcript
from crm_sandbox.queries.level3.schema import level3_enabled
from crm_sandbox.queries.qualifications import qualification_of
from crm_sandbox.queries.session_export import session_document


def task_stream(task_id: int) -> str:
    return f"task:{task_id}"


def reference_stream(contact_id: int) -> str:
    return f"reference:{contact_id}"


@dataclass
class Scoring:
    met: set[str]
    auto_fails: set[str]
    score: int
    feedback: str = ""


@dataclass
class Comparison:
    """Flaws (unmet items and auto-fails) the learner found or missed, against one other scoring."""

    found: list[str]
    missed: list[str]
    extra: list[str]  # what the learner marked that the other did not


@dataclass
class ReviewItem:
    ref: str  # "sample:<id>" or "contact:<id>"
    label: str
    agent: str
    available: bool
    why_not: str = ""
    lines: list[Line] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)  # the rules engine's findings
    rules_scoring: Scoring | None = None
    reference: Scoring | None = None
    mine: Scoring | None = None
    planted: list[str] = field(default_factory=list)

    def versus(self, other: Scoring | None, card: Scorecard) -> Comparison | None:
        if other is None or self.mine is None:
            return None
        theirs = flaws(other, card)
        mine = flaws(self.mine, card)
        return Comparison(sorted(theirs & mine), sorted(theirs - mine), sorted(mine - theirs))


def flaws(s: Scoring, card: Scorecard) -> set[str]:
    return {i.id for i in card.items if i.id not in s.met} | set(s.auto_fails)


def scoring(card: Scorecard, unmet: set[str], auto_fails: set[str], feedback: str = "") -> Scoring:
    met = {i.id for i in card.items} - unmet
    return Scoring(met, auto_fails, card.score(met, auto_fails), feedback)


def _newest(events: list[Level3Event], type: str, **match: str) -> Level3Event | None:
    found = [e for e in events if e.type == type and all(e.data.get(k) == v for k, v in match.items())]
    return found[-1] if found else None


def standing_signoff(events: list[Level3Event]) -> Level3Event | None:
    """The sign-off that stands: the newest, unless a reopening came after it (then none)."""
    signed, reopened = _newest(events, TASK_SIGNED), _newest(events, TASK_REOPENED)
    if signed is None or (reopened is not None and reopened.seq > signed.seq):
        return None
    return signed


def reference_for(contact_id: int, card: Scorecard) -> Scoring | None:
    e = _newest(stream_events(reference_stream(contact_id)), REFERENCE_SCORED, scorecard=card.id)
    if e is None:
        return None
    met, fails = set(e.data["scores"].get("met", [])), set(e.data["auto_fails"])
    return Scoring(met, fails, card.score(met, fails))


def _sample_item(ref: str, sample: dict, card: Scorecard) -> ReviewItem:
    doc = sample["session"]
    rules = {f.rule for f in evaluate(doc)}
    ref_score = scoring(card, set(sample["reference"]["unmet"]), set(sample["reference"]["auto_fails"]))
    return ReviewItem(
        ref,
        f"Example contact: {sample['title']}",
        sample["agent"],
        True,
        lines=transcript(doc, [doc["contact"]["learner"], sample["agent"]]),
        rules=rules,
        rules_scoring=scoring(card, card.unmet_by(rules), card.failed_by(rules)),
        reference=ref_score,
        planted=list(sample.get("planted", [])),
    )


def why_not(contact: Contact | None, task: Level3Task) -> str:
    """Why ``contact`` may not be shown or scored in ``task`` now ("" when it may)."""
    if contact is None or contact.cohort_id != task.cohort_id:
        return "It has been removed (a cohort reset)."
    if contact.learner_id == task.learner_id:
        return "This is the reviewer's own contact: it cannot be reviewed here."
    if contact.status != "closed":
        return "The contact is still live: only closed contacts are reviewed."
    if not opted_in(contact.learner_id):
        return "The agent withdrew their opt-in: the contact is not shown."
    return ""


def _contact_item(ref: str, contact: Contact | None, task: Level3Task, card: Scorecard, n: int) -> ReviewItem:
    agent = f"Agent {n}"
    if contact is None or contact.cohort_id != task.cohort_id:
        return ReviewItem(ref, "A contact no longer held", agent, False, why_not(None, task))
    label = f"Contact: {contact.title}"
    refused = why_not(contact, task)
    if refused:
        return ReviewItem(ref, label, agent, False, refused)
    doc = session_document(contact)
    rules = {f.rule for f in evaluate(doc)}
    known, exact = contact_secrets(contact, doc)
    return ReviewItem(
        ref,
        label,
        agent,
        True,
        lines=transcript(doc, person_names(contact.learner), known=known, exact=exact),
        rules=rules,
        rules_scoring=scoring(card, card.unmet_by(rules), card.failed_by(rules)),
        reference=reference_for(contact.id, card),
    )


def review_items(task: Level3Task, card: Scorecard) -> list[ReviewItem]:
    samples = load_samples(current_app.config["SEED_DIR"])
    events = stream_events(task_stream(task.id))
    items = []
    for n, ref in enumerate(task.spec.get("items", []), start=1):
        kind, _, key = ref.partition(":")
        if kind == "sample" and key in samples:
            item = _sample_item(ref, samples[key], card)
        elif kind == "contact" and key.isdigit():
            item = _contact_item(ref, db.session.get(Contact, int(key)), task, card, n)
        else:
            item = ReviewItem(
                ref, "An item no longer held", f"Agent {n}", False, "It is not in the seed data any more."
            )
        scored = _newest(events, QUALITY_SCORED, item=ref)
        if scored is not None:
            d = scored.data
            item.mine = Scoring(set(d["scores"].get("met", [])), set(d["auto_fails"]), d["score"], d["feedback"])
        items.append(item)
    return items


@dataclass
class TaskView:
    task: Level3Task
    card: Scorecard | None
    items: list[ReviewItem]
    analysis: dict | None  # performance.analysed's data
    groups: list[dict]  # root_causes.grouped's groups
    entries: list[Level3Event]  # discussion.recorded
    signed: Level3Event | None
    events: list[Level3Event]
    criteria: list[Criterion]


def task_criteria(task: Level3Task, learner: User, entries: list[Level3Event]) -> list[Criterion]:
    """The learner's criteria this task evidences: by its kind; for a discussion, those its questions link."""
    mine = criteria_for(current_app.config["SEED_DIR"], qualification_of(learner))
    linked = {c for e in entries for c in e.data.get("criteria", [])}
    if task.kind == "discussion":  # the criteria its questions were asked against
        return [c for c in mine if c.id in linked]
    return [c for c in mine if task.kind in c.tasks]


def task_view(task: Level3Task) -> TaskView:
    events = stream_events(task_stream(task.id))
    cards, _ = load_scorecards(current_app.config["SEED_DIR"])
    card = cards.get(task.spec.get("scorecard", "")) if task.kind == "quality_review" else None
    analysed = _newest(events, PERFORMANCE_ANALYSED)
    grouped = _newest(events, ROOT_CAUSES_GROUPED)
    entries = [e for e in events if e.type == DISCUSSION_RECORDED]
    return TaskView(
        task,
        card,
        review_items(task, card) if card is not None else [],
        analysed.data if analysed else None,
        list(grouped.data["groups"]) if grouped else [],
        entries,
        standing_signoff(events),
        events,
        task_criteria(task, task.learner, entries),
    )


def tasks_of(learner_id: int) -> list[Level3Task]:
    if not level3_enabled():  # a database not yet upgraded: no Level 3 work
        return []
    return list(
        db.session.execute(
            select(Level3Task).where(Level3Task.learner_id == learner_id).order_by(Level3Task.id)
        ).scalars()
    )


def cohort_tasks(cohort_id: int) -> list[Level3Task]:
    return list(
        db.session.execute(
            select(Level3Task).where(Level3Task.cohort_id == cohort_id).order_by(Level3Task.id.desc())
        ).scalars()
    )


def task_for(user: User, task_id: int) -> Level3Task:
    """The task, if ``user`` may see it: its learner; an assessor or trainer of its cohort (or any trainer)."""
    task = db.session.get(Level3Task, task_id)
    if task is None:
        raise NotFound("There is no such task.")
    if user.role == "learner" and task.learner_id != user.id:
        raise NotFound("There is no such task.")
    if user.role == "assessor" and user.cohort_id not in (None, task.cohort_id):
        raise NotFound("There is no such task.")
    return task


def learners_of(cohort_id: int) -> list[User]:
    return list(
        db.session.execute(
            select(User).where(User.cohort_id == cohort_id, User.role == "learner").order_by(User.username)
        ).scalars()
    )


def learner_in(cohort_id: int, value: str) -> User | None:
    """The learner of the cohort whose id was posted as ``value`` (None for anything else)."""
    learner = db.session.get(User, int(value)) if value.isdecimal() and len(value) < 19 else None
    return learner if learner is not None and learner.role == "learner" and learner.cohort_id == cohort_id else None
