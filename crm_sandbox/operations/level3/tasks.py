"""Assigning a Level 3 task to a learner, submitting it, and the assessor's sign-off.

A task may be assigned to a learner whose qualification has a criterion the task evidences (Level 3 work
and the certificates' monitoring criteria). A quality review's items are checked when assigned: seeded
examples that exist, and closed contacts of other learners of the cohort who are opted in now; never the
reviewer's own, never a live one. Sign-off records the outcome, the feedback and each criterion's status
on the task's stream (``task.signed``), and locks the task.
"""

from flask import current_app

from crm_sandbox import ledger
from crm_sandbox.content.criteria import TASK_KINDS, criteria_for
from crm_sandbox.content.level3 import load_samples
from crm_sandbox.content.scorecards import load_scorecards
from crm_sandbox.errors import Conflict, NotAllowed, NotFound, ServiceError
from crm_sandbox.events.registry import TASK_ASSIGNED, TASK_REOPENED, TASK_SIGNED, TASK_SUBMITTED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Task, User, utcnow
from crm_sandbox.models.review import ASSESSMENT_OUTCOMES, CRITERION_STATUSES, OUTCOMES
from crm_sandbox.operations.desk.conversation import check_text
from crm_sandbox.operations.level3.operation import level3_operation
from crm_sandbox.queries.level3.consent import opted_in
from crm_sandbox.queries.level3.tasks import task_stream, task_view
from crm_sandbox.queries.qualifications import qualification_of

MAX_TEXT = 4000
MAX_ITEMS = 10


def check_learner(learner: User | None, kind: str, cohort_id: int | None = None) -> User:
    if learner is None or learner.role != "learner" or learner.cohort_id is None:
        raise NotFound("There is no such learner.")
    if cohort_id is not None and learner.cohort_id != cohort_id:
        raise NotFound("There is no such learner in this cohort.")
    qual = qualification_of(learner)
    if not any(kind in c.tasks for c in criteria_for(current_app.config["SEED_DIR"], qual)):
        raise ServiceError(
            f"{learner.username}'s qualification ({qual.title}) has no criterion that "
            f"{TASK_KINDS[kind].lower()} evidences: it is Level 3 work."
        )
    return learner


def _check_items(learner: User, refs: list[str]) -> list[str]:
    samples = load_samples(current_app.config["SEED_DIR"])
    refs = list(dict.fromkeys(r.strip() for r in refs if r and r.strip()))
    if not refs:
        raise ServiceError("Choose at least one contact to review.")
    if len(refs) > MAX_ITEMS:
        raise ServiceError(f"Choose at most {MAX_ITEMS} contacts for one review task.")
    for ref in refs:
        kind, _, key = ref.partition(":")
        if kind == "sample":
            if key not in samples:
                raise ServiceError("One of the example contacts chosen does not exist.")
            continue
        contact = (
            db.session.get(Contact, int(key)) if kind == "contact" and key.isdecimal() and len(key) <= 18 else None
        )
        if contact is None or contact.cohort_id != learner.cohort_id:
            raise ServiceError("One of the contacts chosen is not in this cohort.")
        if contact.learner_id == learner.id:
            raise ServiceError(f"Contact {contact.id} is {learner.username}'s own: a learner never reviews their own.")
        if contact.status != "closed":
            raise ServiceError(f"Contact {contact.id} is still live: only closed contacts can be reviewed.")
        if not opted_in(contact.learner_id):
            raise ServiceError(
                f"Contact {contact.id}'s learner has not opted in to reviews (or withdrew): choose another."
            )
    return refs


def assign_task(
    assigner: User, learner: User | None, kind: str, items: list[str] | None = None, scorecard: str = ""
) -> Level3Task:
    """A trainer assigns a task (an assessor starts a discussion with ``start_discussion``)."""
    if kind not in TASK_KINDS or kind == "discussion":
        raise ServiceError("Choose a task: a quality review, performance monitoring or a root-cause analysis.")
    learner = check_learner(learner, kind)
    spec: dict = {}
    if kind == "quality_review":
        cards, bad = load_scorecards(current_app.config["SEED_DIR"])
        if scorecard not in cards:
            why = f" ({'; '.join(bad.get(scorecard + '.yaml', []))})" if scorecard + ".yaml" in bad else ""
            raise ServiceError(f"Choose a scorecard that is sound{why}.")
        spec = {"scorecard": scorecard, "items": items or []}
    return _create(assigner, learner, kind, TASK_KINDS[kind], spec)


def _create(assigner: User, learner: User, kind: str, title: str, spec: dict) -> Level3Task:
    if learner.cohort_id is None:  # checked by check_learner already
        raise NotFound("There is no such learner.")
    with level3_operation(learner.cohort_id, "") as op:
        if "items" in spec:  # checked under the write lock: an opt-in withdrawn meanwhile is seen
            spec = {**spec, "items": _check_items(learner, spec["items"])}
        task = Level3Task(
            cohort_id=learner.cohort_id,
            learner_id=learner.id,
            kind=kind,
            title=title,
            spec=spec,
            assigned_by=assigner.id,
        )
        db.session.add(task)
        db.session.flush()
        op.stream = task_stream(task.id)
        op.append(
            TASK_ASSIGNED, {"kind": kind, "title": title, "by": assigner.username}, actor=assigner.role, user=assigner
        )
    return task


def start_discussion(assessor: User, learner: User | None, title: str) -> Level3Task:
    """An assessor opens a record of questioning or professional discussion with a learner."""
    if assessor.role not in ("assessor", "trainer"):
        raise NotAllowed("Only an assessor records a professional discussion.")
    title = check_text(title or "Professional discussion", "title", 120)
    if learner is None or learner.role != "learner" or learner.cohort_id is None:
        raise NotFound("There is no such learner.")
    return _create(assessor, learner, "discussion", title, {})


def submit_task(task: Level3Task, learner: User) -> None:
    """The learner hands the task in for assessment; nothing on it changes after."""
    view = task_view(task)
    if task.kind == "quality_review" and any(i.available and i.mine is None for i in view.items):
        raise ServiceError("Score every contact that is shown before submitting.")
    if task.kind == "performance" and view.analysis is None:
        raise ServiceError("Name the measure, its likely cause and an action before submitting.")
    if task.kind == "root_cause" and not view.groups:
        raise ServiceError("Group the complaints by cause before submitting.")
    with level3_operation(task.cohort_id, task_stream(task.id), task=task) as op:
        op.append(TASK_SUBMITTED, {}, actor="learner", user=learner)
        op.locked.status, op.locked.submitted_at = "submitted", utcnow()


def sign_task(task: Level3Task, assessor: User, outcome: str, feedback: str, statuses: dict[str, str]) -> None:
    """The assessor's judgement on a submitted task (or a discussion with at least one question): the
    outcome, feedback, and each criterion the task evidences met, not yet met or not covered."""
    if outcome not in ASSESSMENT_OUTCOMES:
        raise ServiceError("Choose competent or not yet competent.")
    feedback = check_text(feedback, "feedback for the learner", MAX_TEXT)
    view = task_view(task)
    if task.kind == "discussion" and not view.entries:
        raise ServiceError("Record at least one question and answer before signing the discussion.")
    wanted = {c.id: c.code for c in view.criteria}
    missing = [code for cid, code in wanted.items() if statuses.get(cid) not in CRITERION_STATUSES]
    if missing:
        raise ServiceError(f"Not signed off: give each criterion a status ({', '.join(missing)}).")
    if outcome == "competent" and any(statuses[c] == "not_met" for c in wanted):
        raise ServiceError(f"{OUTCOMES['competent']} with a criterion not yet met: judge it not yet competent.")
    states = ("assigned",) if task.kind == "discussion" else ("submitted",)
    with level3_operation(task.cohort_id, task_stream(task.id), task=task, states=states) as op:
        op.append(
            TASK_SIGNED,
            {
                "outcome": outcome,
                "feedback": feedback,
                "criteria": {c: statuses[c] for c in wanted},
                "by": assessor.username,
            },
            actor="assessor",
            user=assessor,
        )
        op.locked.status, op.locked.signed_at, op.locked.outcome = "signed", utcnow(), outcome
        ledger.checkpoint_at_commit(f"level 3 task {task.id} signed off")


def check_not_signed(task: Level3Task) -> None:
    if task.status == "signed":
        raise Conflict("This task is signed off: nothing on it can change.")


def reopen_task(task: Level3Task, assessor: User, reason: str) -> None:
    """Void a sign-off, with a reason (kept on the stream, as evidence): the task can be judged again. The
    signed version stays on the stream, shown as voided; a discussion can take more questions again."""
    reason = check_text(reason, "reason for reopening", MAX_TEXT)
    with level3_operation(task.cohort_id, task_stream(task.id), task=task, states=("signed",)) as op:
        op.append(TASK_REOPENED, {"reason": reason, "by": assessor.username}, actor="assessor", user=assessor)
        op.locked.status = "assigned" if task.kind == "discussion" else "submitted"
        op.locked.signed_at, op.locked.outcome = None, None
        ledger.checkpoint_at_commit(f"level 3 task {task.id} reopened")
