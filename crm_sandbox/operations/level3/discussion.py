"""Questioning and professional discussion: the assessor records each question asked, the learner's
answer in summary and the judgement, linked to criteria of the learner's qualification (knowledge
criteria above all, which no observation can evidence). Signed with the discussion's review
(``tasks.sign_task``), like any other evidence."""

from flask import current_app

from crm_sandbox.content.criteria import criteria_for
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.events.registry import DISCUSSION_RECORDED
from crm_sandbox.models import Level3Task, User
from crm_sandbox.operations.desk.conversation import check_text
from crm_sandbox.operations.level3.operation import level3_operation
from crm_sandbox.queries.level3.tasks import task_stream
from crm_sandbox.queries.qualifications import qualification_of

MAX_TEXT = 4000


def record_question(
    task: Level3Task, assessor: User, question: str, answer: str, judgement: str, criteria: list[str]
) -> None:
    if task.kind != "discussion":
        raise NotFound("Questions are recorded on a professional discussion.")
    question = check_text(question, "question asked", MAX_TEXT)
    answer = check_text(answer, "summary of the learner's answer", MAX_TEXT)
    if judgement not in ("met", "not_met"):
        raise ServiceError("Judge the answer: it meets the criteria, or not yet.")
    mine = {c.id for c in criteria_for(current_app.config["SEED_DIR"], qualification_of(task.learner))}
    criteria = [c for c in dict.fromkeys(criteria) if c]
    if not criteria:
        raise ServiceError("Link the question to at least one criterion.")
    if not set(criteria) <= mine:
        raise ServiceError("Link only criteria of the learner's qualification.")
    with level3_operation(task.cohort_id, task_stream(task.id), task=task) as op:
        op.append(
            DISCUSSION_RECORDED,
            {
                "question": question,
                "answer": answer,
                "judgement": judgement,
                "criteria": criteria,
                "by": assessor.username,
            },
            actor="assessor",
            user=assessor,
        )
