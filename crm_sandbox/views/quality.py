"""Quality assurance pages: the IQA's sampling plan, verdicts and standardisation; the EQA's read-only
view of the same; the assessor's answers, blind marking and countersignatures; the trainer's QA accounts
and assessors' standing. Thin: every check is in ``queries/quality`` or ``operations/quality``."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm_sandbox.admin import archive as archive_store
from crm_sandbox.admin import archive_qa
from crm_sandbox.errors import NotAllowed, NotFound, ServiceError
from crm_sandbox.events.registry import body, describe
from crm_sandbox.formatting import slug
from crm_sandbox.models import Contact, StandardisationExercise, utcnow
from crm_sandbox.models.quality import VERDICTS
from crm_sandbox.models.review import OUTCOMES
from crm_sandbox.models.user import ASSESSOR_STATUSES
from crm_sandbox.operations import disclosure
from crm_sandbox.operations.quality import accounts as qa_accounts
from crm_sandbox.operations.quality import standardisation as standardise
from crm_sandbox.operations.quality.countersign import countersign as countersign_review
from crm_sandbox.operations.quality.verdicts import answer_verdict as answer
from crm_sandbox.operations.quality.verdicts import parse_deadline
from crm_sandbox.operations.quality.verdicts import record_verdict as record
from crm_sandbox.queries import access
from crm_sandbox.queries import cohorts as cohort_queries
from crm_sandbox.queries.quality import countersign as countersigning
from crm_sandbox.queries.quality import scope
from crm_sandbox.queries.quality import standardisation as std
from crm_sandbox.queries.quality import verdicts as verdict_queries
from crm_sandbox.queries.quality.sampling import cohort_plan, signed_reviews
from crm_sandbox.queries.review import assessment_versions, contact_review, standing
from crm_sandbox.reports import quality_report
from crm_sandbox.views.access import roles_required
from crm_sandbox.views.helpers import act, download, form
from crm_sandbox.views.trainer import issued_page

bp = Blueprint("quality", __name__, url_prefix="/quality")
QA = ("iqa", "eqa", "trainer")


@bp.get("/")
@roles_required(*QA)
def home() -> ResponseReturnValue:
    return render_template("quality/home.html", cohorts=scope.qa_cohorts(current_user))


@bp.get("/cohorts/<int:cohort_id>")
@roles_required(*QA)
def cohort(cohort_id: int) -> ResponseReturnValue:
    found = scope.qa_cohort(current_user, cohort_id)
    plan, rows = cohort_plan(found, current_user)
    exercises = std.exercises_of(found.id)
    assessors = [u for u in cohort_queries.members_of(found.id) if u.role == "assessor"]
    closed = [c for c, _ in signed_reviews(found)]
    return render_template(
        "quality/cohort.html",
        cohort=found,
        plan=plan,
        rows=rows,
        exercises=[(e, std.results(e)) for e in exercises],
        assessors=assessors,
        over_time={a.id: std.rater_over_time(a.id) for a in assessors},
        closed=closed,
        waiting=countersigning.uncountersigned(closed),
    )


def _sample_context(contact: Contact) -> dict:
    versions = assessment_versions(contact.id)
    signed = standing(versions)
    return {
        "contact": contact,
        "review": contact_review(contact),
        "signed": signed,
        "signatures": countersigning.signatures(signed),
        "provisional": countersigning.provisional(signed),
        "verdicts": verdict_queries.verdicts_on(contact.id),
        "void": verdict_queries.void,
        "verdict_choices": VERDICTS,
        "outcomes": OUTCOMES,
    }


@bp.get("/contacts/<int:contact_id>")
@roles_required(*QA)
def sample(contact_id: int) -> ResponseReturnValue:
    contact = scope.qa_contact(current_user, contact_id)
    context = _sample_context(contact)
    page = render_template("quality/sample.html", **context)
    disclosure.contact_view(current_user, "qa-sample", contact, context["review"].events)
    return page


@bp.post("/contacts/<int:contact_id>/verdict")
@roles_required("iqa")
def record_verdict(contact_id: int) -> ResponseReturnValue:
    contact = scope.qa_contact(current_user, contact_id)
    version = form("version")
    return act(
        lambda: record(
            contact,
            current_user,
            form("verdict"),
            form("comment"),
            form("action"),
            parse_deadline(form("deadline")),
            int(version) if version.isdecimal() and len(version) < 9 else None,
        ),
        url_for("quality.sample", contact_id=contact.id),
        "Verdict recorded: the assessor sees it on their quality page.",
    )


@bp.get("/mine")
@roles_required("assessor")
def mine() -> ResponseReturnValue:
    """The assessor's quality page: verdicts on their decisions, exercises to mark, work to countersign."""
    cohort = current_user.cohort
    signed = signed_reviews(cohort) if cohort else []
    waiting = [] if current_user.trainee else countersigning.uncountersigned([c for c, _ in signed])
    own = {c.id for c, a in signed if a.assessor_id == current_user.id}
    return render_template(
        "quality/mine.html",
        verdicts=verdict_queries.verdicts_for_assessor(current_user),
        void=verdict_queries.void,
        exercises=std.invited_to(current_user),
        waiting=[c for c in waiting if c.id not in own],
    )


@bp.post("/verdicts/<int:verdict_id>/answer")
@roles_required("assessor")
def answer_verdict(verdict_id: int) -> ResponseReturnValue:
    return act(
        lambda: answer(verdict_id, current_user, form("answer")),
        url_for("quality.mine") + f"#verdict-{verdict_id}",
        "Answer recorded: the IQA sees it with the verdict.",
    )


@bp.post("/contacts/<int:contact_id>/countersign")
@roles_required("assessor", "iqa")
def countersign(contact_id: int) -> ResponseReturnValue:
    if current_user.role == "iqa":
        contact = scope.qa_contact(current_user, contact_id)
        back = url_for("quality.sample", contact_id=contact_id)
    else:
        contact = access.get_contact_for(current_user, contact_id)
        back = url_for("quality.mine")
    version = form("version")
    return act(
        lambda: countersign_review(
            contact, current_user, form("comment"), int(version) if version.isdecimal() and len(version) < 9 else None
        ),
        back,
        "Countersigned: the decision is final and can be released.",
    )


def _exercise(exercise_id: int) -> StandardisationExercise:
    return scope.qa_exercise(current_user, exercise_id)


@bp.post("/cohorts/<int:cohort_id>/standardisation")
@roles_required("iqa", "trainer")
def create_exercise(cohort_id: int) -> ResponseReturnValue:
    found = scope.qa_cohort(current_user, cohort_id)
    contacts = [int(c) for c in request.form.getlist("contacts") if c.isdecimal() and len(c) < 12]
    raters = [int(r) for r in request.form.getlist("raters") if r.isdecimal() and len(r) < 12]
    return act(
        lambda: standardise.create_exercise(found, current_user, form("title"), contacts, raters),
        url_for("quality.cohort", cohort_id=found.id) + "#standardisation",
        "Standardisation exercise set: the invited assessors see it on their quality page.",
    )


@bp.get("/standardisation/<int:exercise_id>")
@roles_required("iqa", "eqa", "trainer", "assessor")
def exercise(exercise_id: int) -> ResponseReturnValue:
    found = _exercise(exercise_id)
    marked = {(m.contact_id, m.rater_id) for m in std.marks_of(found.id)}
    return render_template(
        "quality/exercise.html",
        exercise=found,
        contacts=scope.exercise_contacts(found),
        marked=marked,
        raters=scope.users_by_id(found.rater_ids),
        results=std.results(found) if current_user.role != "assessor" else None,
        outcomes_recorded=std.outcomes_of(found.id),
        outcomes={k: OUTCOMES[k] for k in ("competent", "not_yet_competent")},
        original=std.original_outcome,
    )


def _exercise_contact(found: StandardisationExercise, contact_id: int) -> Contact:
    return scope.exercise_contact(found, contact_id)


@bp.get("/standardisation/<int:exercise_id>/contacts/<int:contact_id>")
@roles_required("assessor")
def mark(exercise_id: int, contact_id: int) -> ResponseReturnValue:
    """The blind marking form; once submitted, the others' marks, the engine's and the original decision."""
    found = _exercise(exercise_id)
    contact = _exercise_contact(found, contact_id)
    marks = [m for m in std.marks_of(found.id) if m.contact_id == contact.id]
    mine = next((m for m in marks if m.rater_id == current_user.id), None)
    events = std.blind_events(contact)
    page = render_template(
        "quality/mark.html",
        exercise=found,
        contact=contact,
        items=std.marking_items(contact),
        events=events,
        mine=mine,
        others=[m for m in marks if m.rater_id != current_user.id] if mine else [],
        engine=std.engine_breaches(contact.id) if mine else None,
        original=std.original_outcome(contact) if mine else None,
        outcomes=OUTCOMES,
        describe=describe,
        body=body,
    )
    disclosure.contact_view(current_user, "standardisation", contact, events)
    return page


@bp.post("/standardisation/<int:exercise_id>/contacts/<int:contact_id>")
@roles_required("assessor")
def submit_marks(exercise_id: int, contact_id: int) -> ResponseReturnValue:
    found = _exercise(exercise_id)
    contact = _exercise_contact(found, contact_id)
    marks = {k[len("mark-") :]: v for k, v in request.form.items() if k.startswith("mark-")}
    return act(
        lambda: standardise.submit_marks(found, contact, current_user, marks),
        url_for("quality.mark", exercise_id=found.id, contact_id=contact.id),
        "Marks submitted: you can now see the others' decisions on this contact.",
    )


@bp.post("/standardisation/<int:exercise_id>/contacts/<int:contact_id>/outcome")
@roles_required("iqa", "trainer")
def record_outcome(exercise_id: int, contact_id: int) -> ResponseReturnValue:
    found = _exercise(exercise_id)
    contact = _exercise_contact(found, contact_id)
    return act(
        lambda: standardise.record_outcome(found, contact, current_user, form("outcome"), form("actions")),
        url_for("quality.exercise", exercise_id=found.id),
        "Agreed outcome recorded (the learner's record is unchanged).",
    )


@bp.get("/cohorts/<int:cohort_id>/iqa-report.csv")
@roles_required(*QA)
def report_csv(cohort_id: int) -> Response:
    found = scope.qa_cohort(current_user, cohort_id)
    data = quality_report.report_csv(quality_report.build(found, current_user))
    return _download(data.encode("utf-8"), "text/csv; charset=utf-8", f"iqa-report-{found.id}.csv")


@bp.get("/cohorts/<int:cohort_id>/iqa-report.pdf")
@roles_required(*QA)
def report_pdf(cohort_id: int) -> Response:
    found = scope.qa_cohort(current_user, cohort_id)
    data = quality_report.report_pdf(quality_report.build(found, current_user))
    return _download(data, "application/pdf", f"iqa-report-{found.id}.pdf")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/archive")
@roles_required(*QA)
def archive() -> ResponseReturnValue:
    """The archives of cohort resets (IQA reports and learners' evidence packs, each checked), while they
    are kept (ARCHIVE_RETENTION_DAYS)."""
    try:
        days = archive_store.retention_days()
    except archive_store.RetentionError:
        days = None
    names = _cohort_names()
    with_report = {run.key for run in archive_store.iqa_report_runs(names)}
    return render_template(
        "quality/archive.html", runs=archive_qa.qa_runs(names), with_report=with_report, retention_days=days
    )


@bp.get("/archive/<run>/learners/<int:pack_id>/pack")
@roles_required(*QA)
def archived_pack(run: str, pack_id: int) -> ResponseReturnValue:
    """A learner's signed evidence pack as archived, to verify with ``verify-pack`` (a damaged one as stored)."""
    pack = archive_qa.qa_pack(run, pack_id, _cohort_names())
    name = f"{slug(pack.cohort_name)}-{pack.learner_username}"
    try:
        data = archive_store.stored_pack(pack)
    except archive_store.UnreadablePack:  # still encrypted: nothing readable leaves
        disclosure.archive_view(current_user, "archived-pack", pack, [], [])
        return download(archive_store.pack_path(pack), "application/octet-stream", f"{name}.zip.enc")
    disclosure.archive_view(current_user, "archived-pack", pack, *archive_qa.pack_customers(data))  # before it is sent
    return download(data, "application/zip", f"{name}.zip")


@bp.get("/archive/<run>/learners/<int:pack_id>/report")
@roles_required(*QA)
def archived_learner_report(run: str, pack_id: int) -> ResponseReturnValue:
    """The learner's record sealed in an archived pack (only from a pack that passes its check)."""
    pack = archive_qa.qa_pack(run, pack_id, _cohort_names())
    report, data = archive_store.checked_learner_report(pack)
    disclosure.archive_view(current_user, "archived-report", pack, *archive_qa.pack_customers(data))
    return download(report, "application/pdf", f"{slug(pack.cohort_name)}-{pack.learner_username}-report.pdf")


@bp.get("/archive/<run>/iqa-report.<fmt>")
@roles_required(*QA)
def archived_report(run: str, fmt: str) -> Response:
    found, data = archive_store.iqa_report(run, fmt, _cohort_names())
    return _download(data, archive_store.IQA_REPORT_FORMATS[fmt], f"iqa-report-{found.key}.{fmt}")


def _cohort_names() -> set[str] | None:
    """The cohorts the user quality-assures, by name (as archives name them); None: every cohort."""
    if current_user.expired:  # an EQA account past its date (its session ends anyway)
        raise NotAllowed("This account has expired.")
    return None if current_user.cohort_id is None else {c.name for c in scope.qa_cohorts(current_user)}


@bp.get("/accounts")
@roles_required("trainer")
def accounts() -> ResponseReturnValue:
    return render_template(
        "quality/accounts.html",
        people=scope.qa_people(),
        cohorts=cohort_queries.all_cohorts(),
        statuses=ASSESSOR_STATUSES,
        roles=qa_accounts.QA_ACCOUNT_ROLES,
        now=utcnow(),
    )


@bp.post("/accounts")
@roles_required("trainer")
def create_account() -> ResponseReturnValue:
    cohort_id = form("cohort")
    try:
        issued = qa_accounts.create_qa_account(
            form("username"),
            form("display_name"),
            form("role"),
            int(cohort_id) if cohort_id.isdecimal() and len(cohort_id) < 12 else None,
            qa_accounts.parse_date(form("expires_on"), "expiry date"),
            current_user.id,
        )
    except (NotFound, NotAllowed):
        raise
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("quality.accounts"), code=303)
    return issued_page(issued, None, f"New {form('role').upper()} account")


@bp.post("/assessors/<int:user_id>/standing")
@roles_required("trainer")
def set_standing(user_id: int) -> ResponseReturnValue:
    return act(
        lambda: qa_accounts.set_assessor_standing(
            user_id, form("status"), qa_accounts.parse_date(form("qualified_on"), "qualification date")
        ),
        url_for("quality.accounts"),
        "Assessor's standing recorded.",
    )
