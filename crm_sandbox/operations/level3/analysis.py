"""The learner's analyses: the performance task (an underperforming measure, its likely cause from the
contacts, an improvement action) and the complaint root-cause task (complaints grouped by cause, each
group with a preventive action); and the trainer's KPI targets for the team dashboard."""

from flask import current_app

from crm_sandbox.content.level3 import load_team
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.events.registry import KPI_TARGETS_SET, PERFORMANCE_ANALYSED, ROOT_CAUSES_GROUPED
from crm_sandbox.models import Cohort, Level3Task, User
from crm_sandbox.operations.desk.conversation import check_text
from crm_sandbox.operations.level3.operation import level3_operation
from crm_sandbox.queries.level3.complaints import complaints_for
from crm_sandbox.queries.level3.tasks import task_stream
from crm_sandbox.queries.level3.team import targets_stream

MAX_TEXT = 2000
MAX_GROUPS = 8


def set_targets(cohort: Cohort, trainer: User, given: dict[str, str]) -> dict[str, float]:
    team = load_team(current_app.config["SEED_DIR"])
    targets = {}
    for m in team["measures"]:
        raw = (given.get(m["id"]) or "").strip()
        try:
            value = float(raw)
        except ValueError:
            raise ServiceError(f"Give the {m['label'].lower()} target as a number.") from None
        if not 0 <= value <= 10_000:
            raise ServiceError(f"The {m['label'].lower()} target must be between 0 and 10,000.")
        targets[m["id"]] = value
    with level3_operation(cohort.id, targets_stream(cohort.id)) as op:
        op.append(KPI_TARGETS_SET, {"targets": targets, "by": trainer.username}, actor="trainer", user=trainer)
    return targets


def analyse_performance(
    task: Level3Task, learner: User, measure: str, agent: str, cause: str, contacts: list[str], action: str
) -> None:
    if task.kind != "performance":
        raise NotFound("This task is not a performance-monitoring task.")
    team = load_team(current_app.config["SEED_DIR"])
    if measure not in {m["id"] for m in team["measures"]}:
        raise ServiceError("Choose the measure that is underperforming.")
    if agent and agent not in {a["name"] for a in team["agents"]}:
        raise ServiceError("Choose an agent of the team, or the whole team.")
    known = {c["ref"] for c in team["contacts"]}
    contacts = [c for c in dict.fromkeys(contacts) if c]
    if not contacts or not set(contacts) <= known:
        raise ServiceError("Link the contacts that show the cause (at least one, from the list).")
    cause = check_text(cause, "likely cause", MAX_TEXT)
    action = check_text(action, "improvement action", MAX_TEXT)
    with level3_operation(task.cohort_id, task_stream(task.id), task=task) as op:
        op.append(
            PERFORMANCE_ANALYSED,
            {"measure": measure, "agent": agent, "cause": cause, "contacts": contacts, "action": action},
            actor="learner",
            user=learner,
        )


def group_complaints(task: Level3Task, learner: User, groups: list[dict]) -> None:
    """``groups``: [{"cause", "complaints": [refs], "action"}]; empty rows are dropped."""
    if task.kind != "root_cause":
        raise NotFound("This task is not a root-cause analysis.")
    known = {c.ref for c in complaints_for(task.cohort_id, task.learner_id)}
    kept: list[dict] = []
    used: set[str] = set()
    for g in groups[:MAX_GROUPS]:
        refs = [r for r in dict.fromkeys(g.get("complaints") or []) if r]
        if not (g.get("cause") or "").strip() and not refs and not (g.get("action") or "").strip():
            continue
        cause = check_text(g.get("cause") or "", "cause of each group", MAX_TEXT)
        action = check_text(g.get("action") or "", f"preventive action for \u201c{cause[:40]}\u201d", MAX_TEXT)
        if not refs or not set(refs) <= known:
            raise ServiceError(f"Link the complaints of \u201c{cause[:40]}\u201d (at least one, from the list).")
        if used & set(refs):
            raise ServiceError("A complaint can be in one group only.")
        used |= set(refs)
        kept.append({"cause": cause, "complaints": refs, "action": action})
    if not kept:
        raise ServiceError("Name at least one cause, with its complaints and a preventive action.")
    with level3_operation(task.cohort_id, task_stream(task.id), task=task) as op:
        if not used <= {c.ref for c in complaints_for(task.cohort_id, task.learner_id)}:  # an opt-in withdrawn since
            raise ServiceError("A complaint you linked is no longer offered (its learner withdrew): reload the task.")
        op.append(ROOT_CAUSES_GROUPED, {"groups": kept}, actor="learner", user=learner)
