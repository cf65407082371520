"""Scoring a contact in a quality review task (the learner, as team leader), and a trainer's reference
scoring of a contact (what the learner's scoring is compared with)."""

from flask import current_app

from crm_sandbox.content.scorecards import Scorecard, load_scorecards
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.events.registry import QUALITY_SCORED, REFERENCE_SCORED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Task, User
from crm_sandbox.operations.desk.conversation import check_text
from crm_sandbox.operations.level3.consent import lock_consent
from crm_sandbox.operations.level3.operation import level3_operation
from crm_sandbox.queries.level3.tasks import reference_stream, review_items, task_stream, why_not

MAX_FEEDBACK = 4000


def _card(scorecard_id: str) -> Scorecard:
    cards, _ = load_scorecards(current_app.config["SEED_DIR"])
    card = cards.get(scorecard_id)
    if card is None:
        raise ServiceError("This task's scorecard is no longer sound: ask a trainer to fix it (see the Level 3 page).")
    return card


def _marks(card: Scorecard, met: list[str], auto_fails: list[str]) -> tuple[set[str], set[str]]:
    items, fails = {i.id for i in card.items}, {a.id for a in card.auto_fails}
    if not set(met) <= items or not set(auto_fails) <= fails:
        raise ServiceError("Score only the items of this scorecard.")
    return set(met), set(auto_fails)


def _check_still_available(task: Level3Task, item: str) -> None:
    """Re-check, under the write lock, that a contact item may still be scored: its agent may have
    withdrawn their opt-in (or the contact gone) since the page was read."""
    kind, _, key = item.partition(":")
    if kind != "contact":
        return
    contact = db.session.get(Contact, int(key), populate_existing=True) if key.isdecimal() and len(key) < 19 else None
    if contact is not None:
        lock_consent(contact.learner_id)
    refused = why_not(contact, task)
    if refused:
        raise ServiceError(refused)


def score_contact(
    task: Level3Task, learner: User, item: str, met: list[str], auto_fails: list[str], feedback: str
) -> int:
    """Record the learner's scoring of one item of their task, with coaching feedback for the agent. The item's
    availability (its agent's opt-in) is checked again inside the write transaction that records it."""
    if task.kind != "quality_review":
        raise NotFound("This task has no contacts to score.")
    card = _card(task.spec.get("scorecard", ""))
    found = next((i for i in review_items(task, card) if i.ref == item), None)
    if found is None:
        raise NotFound("That contact is not part of this task.")
    if not found.available:
        raise ServiceError(found.why_not)
    met_set, fails = _marks(card, met, auto_fails)
    feedback = check_text(feedback, "coaching feedback for the agent", MAX_FEEDBACK)
    score = card.score(met_set, fails)
    with level3_operation(task.cohort_id, task_stream(task.id), task=task) as op:
        _check_still_available(op.locked, item)
        op.append(
            QUALITY_SCORED,
            {
                "item": item,
                "scorecard": card.id,
                "scores": {"met": sorted(met_set)},
                "auto_fails": sorted(fails),
                "score": score,
                "feedback": feedback,
            },
            actor="learner",
            user=learner,
        )
    return score


def reference_score(contact: Contact, trainer: User, scorecard_id: str, met: list[str], auto_fails: list[str]) -> None:
    """A trainer's reference scoring of a closed contact (the newest stands)."""
    if contact.status != "closed":
        raise ServiceError("Score a contact once it is closed.")
    card = _card(scorecard_id)
    met_set, fails = _marks(card, met, auto_fails)
    with level3_operation(contact.cohort_id, reference_stream(contact.id)) as op:
        op.append(
            REFERENCE_SCORED,
            {
                "scorecard": card.id,
                "scores": {"met": sorted(met_set)},
                "auto_fails": sorted(fails),
                "by": trainer.username,
            },
            actor="trainer",
            user=trainer,
        )
