"""Level 3 team-leader work, one thin blueprint for every role: the learner's tasks, opt-in and team
dashboard; the trainer's assignments, targets and reference scorings; the assessor's discussions and
sign-offs. Each route checks the role; each id is checked by object (``task_for``, ``access``)."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm_sandbox.content.criteria import TASK_KINDS, criteria_for
from crm_sandbox.content.level3 import load_samples
from crm_sandbox.content.scorecards import load_scorecards
from crm_sandbox.errors import NotFound
from crm_sandbox.events.registry import LEVEL3_REGISTRY, describe_level3
from crm_sandbox.models import User
from crm_sandbox.models.review import CRITERION_STATUSES, OUTCOMES
from crm_sandbox.operations.level3 import analysis, consent, discussion, quality, tasks
from crm_sandbox.queries import access
from crm_sandbox.queries.level3.coaching import coaching_for
from crm_sandbox.queries.level3.complaints import complaints_for
from crm_sandbox.queries.level3.consent import opted_in, reviewable_contacts
from crm_sandbox.queries.level3.tasks import cohort_tasks, learner_in, learners_of, task_for, task_view, tasks_of
from crm_sandbox.queries.level3.team import dashboard as team_dashboard
from crm_sandbox.queries.qualifications import qualification_of
from crm_sandbox.views.access import roles_required
from crm_sandbox.views.helpers import act, form

bp = Blueprint("level3", __name__, url_prefix="/level3")
STAFF = ("assessor", "trainer")


def _task_page(task_id: int) -> str:
    return url_for("level3.task", task_id=task_id)


@bp.get("/")
@roles_required("learner")
def mine() -> ResponseReturnValue:
    return render_template(
        "level3/mine.html",
        tasks=tasks_of(current_user.id),
        opted_in=opted_in(current_user.id),
        kinds=TASK_KINDS,
        coaching=coaching_for(current_user),
    )


@bp.post("/consent")
@roles_required("learner")
def set_consent() -> ResponseReturnValue:
    give = form("give") == "yes"
    done = (
        "You are opted in: other learners' review tasks may include your closed contacts, with your name removed."
        if give
        else "Opt-in withdrawn: your contacts are no longer offered or shown to reviewers."
    )
    return act(lambda: consent.set_review_consent(current_user, give), url_for("level3.mine"), done)


@bp.get("/tasks/<int:task_id>")
@roles_required("learner", *STAFF)
def task(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    view = task_view(found)
    team = team_dashboard(found.cohort_id) if found.kind == "performance" else None
    complaints = complaints_for(found.cohort_id, found.learner_id) if found.kind == "root_cause" else []
    return render_template(
        "level3/task.html",
        view=view,
        staff=current_user.role in STAFF,
        team=team,
        complaints=complaints,
        statuses=CRITERION_STATUSES,
        outcomes={k: OUTCOMES[k] for k in ("competent", "not_yet_competent")},
    )


@bp.post("/tasks/<int:task_id>/score")
@roles_required("learner")
def score(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    return act(
        lambda: quality.score_contact(
            found,
            current_user,
            form("item"),
            request.form.getlist("met"),
            request.form.getlist("auto_fail"),
            form("feedback"),
        ),
        _task_page(task_id),
        lambda s: f"Scored: {s}%.",
    )


@bp.post("/tasks/<int:task_id>/analysis")
@roles_required("learner")
def analyse(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    return act(
        lambda: analysis.analyse_performance(
            found,
            current_user,
            form("measure"),
            form("agent"),
            form("cause"),
            request.form.getlist("contacts"),
            form("action"),
        ),
        _task_page(task_id),
        "Your analysis is saved.",
    )


@bp.post("/tasks/<int:task_id>/groups")
@roles_required("learner")
def group(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    groups = [
        {
            "cause": form(f"cause-{n}"),
            "complaints": request.form.getlist(f"complaints-{n}"),
            "action": form(f"action-{n}"),
        }
        for n in range(1, analysis.MAX_GROUPS + 1)
    ]
    return act(
        lambda: analysis.group_complaints(found, current_user, groups),
        _task_page(task_id),
        "Your root-cause groups are saved.",
    )


@bp.post("/tasks/<int:task_id>/submit")
@roles_required("learner")
def submit(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    return act(lambda: tasks.submit_task(found, current_user), _task_page(task_id), "Submitted for assessment.")


@bp.get("/dashboard")
@roles_required("learner", *STAFF)
def dashboard() -> ResponseReturnValue:
    cohort = access.cohort_in_view(current_user, request.args.get("cohort", ""))
    if cohort is None:
        raise NotFound("There is no cohort yet.")
    return render_template("level3/dashboard.html", team=team_dashboard(cohort.id), cohort=cohort)


@bp.get("/cohorts/")
@roles_required(*STAFF)
def staff_home() -> ResponseReturnValue:
    found = access.cohort_in_view(current_user, request.args.get("cohort", ""))
    if found is None:
        raise NotFound("There is no cohort yet.")
    return redirect(url_for("level3.cohort", cohort_id=found.id))


@bp.get("/cohorts/<int:cohort_id>")
@roles_required(*STAFF)
def cohort(cohort_id: int) -> ResponseReturnValue:
    found = access.report_cohort(current_user, cohort_id)
    cards, bad = load_scorecards(current_app.config["SEED_DIR"])
    learners = learners_of(found.id)
    return render_template(
        "level3/cohort.html",
        cohort=found,
        tasks=cohort_tasks(found.id),
        learners=learners,
        offered={lr.id: reviewable_contacts(found.id, lr.id) for lr in learners},
        samples=load_samples(current_app.config["SEED_DIR"]),
        cards=cards,
        bad=bad,
        kinds=TASK_KINDS,
        team=team_dashboard(found.id),
    )


def _learner(cohort_id: int) -> User | None:
    return learner_in(cohort_id, form("learner"))


@bp.post("/cohorts/<int:cohort_id>/assign")
@roles_required("trainer")
def assign(cohort_id: int) -> ResponseReturnValue:
    found = access.report_cohort(current_user, cohort_id)
    return act(
        lambda: tasks.assign_task(
            current_user, _learner(found.id), form("kind"), request.form.getlist("items"), form("scorecard")
        ),
        url_for("level3.cohort", cohort_id=found.id),
        lambda t: f"Task assigned to {t.learner.username}: {t.title}.",
    )


@bp.post("/cohorts/<int:cohort_id>/targets")
@roles_required("trainer")
def targets(cohort_id: int) -> ResponseReturnValue:
    found = access.report_cohort(current_user, cohort_id)
    return act(
        lambda: analysis.set_targets(found, current_user, request.form.to_dict()),
        url_for("level3.cohort", cohort_id=found.id),
        "Targets saved: the team dashboard reads against them now.",
    )


@bp.post("/contacts/<int:contact_id>/reference")
@roles_required("trainer")
def reference(contact_id: int) -> ResponseReturnValue:
    contact = access.get_contact_for(current_user, contact_id)
    return act(
        lambda: quality.reference_score(
            contact, current_user, form("scorecard"), request.form.getlist("met"), request.form.getlist("auto_fail")
        ),
        _back_to_task(form("task")) or url_for("level3.cohort", cohort_id=contact.cohort_id),
        f"Reference scoring saved for contact {contact.id}.",
    )


def _back_to_task(value: str) -> str | None:
    """The task page a form came from (its id posted as ``task``), else None."""
    return url_for("level3.task", task_id=int(value)) if value.isdecimal() and len(value) < 19 else None


@bp.post("/cohorts/<int:cohort_id>/discussions")
@roles_required(*STAFF)
def start_discussion(cohort_id: int) -> ResponseReturnValue:
    found = access.report_cohort(current_user, cohort_id)
    learner = _learner(found.id)

    def start() -> str:
        return tasks.start_discussion(current_user, learner, form("title")).title

    return act(start, url_for("level3.cohort", cohort_id=found.id), lambda t: f"Discussion opened: {t}.")


@bp.post("/tasks/<int:task_id>/questions")
@roles_required(*STAFF)
def question(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    return act(
        lambda: discussion.record_question(
            found, current_user, form("question"), form("answer"), form("judgement"), request.form.getlist("criteria")
        ),
        _task_page(task_id),
        "Question recorded.",
    )


@bp.post("/tasks/<int:task_id>/sign")
@roles_required(*STAFF)
def sign(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    statuses = {k.removeprefix("criterion-"): v for k, v in request.form.items() if k.startswith("criterion-")}
    return act(
        lambda: tasks.sign_task(found, current_user, form("outcome"), form("feedback"), statuses),
        _task_page(task_id),
        "Signed off.",
    )


@bp.app_template_filter("l3_label")
def l3_label(type: str) -> str:
    declared = LEVEL3_REGISTRY.get(type)
    return declared.label if declared else type


@bp.app_template_global("l3_describe")
def l3_describe(event: object) -> str:
    return describe_level3(event)


@bp.app_template_global("all_criteria")
def all_criteria(learner: User) -> list:
    return criteria_for(current_app.config["SEED_DIR"], qualification_of(learner))


@bp.post("/tasks/<int:task_id>/reopen")
@roles_required(*STAFF)
def reopen(task_id: int) -> ResponseReturnValue:
    found = task_for(current_user, task_id)
    return act(
        lambda: tasks.reopen_task(found, current_user, form("reason")),
        _task_page(task_id),
        "Reopened: the sign-off is voided (kept, with your reason) and the task can be judged again.",
    )
