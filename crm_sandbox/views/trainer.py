"""The trainer console: cohorts, accounts, assignments, policies, resets, the scenario library and the archive."""

import json
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from crm_sandbox import policy
from crm_sandbox.admin import archive, archive_qa, gdpr, retention
from crm_sandbox.admin.reset import AlreadyReset, StaleReset, cohort_learners, reset_cohort
from crm_sandbox.content.criteria import load_qualifications
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.formatting import slug
from crm_sandbox.models import Cohort
from crm_sandbox.models.disclosure import VIEW_KINDS
from crm_sandbox.operations import disclosure as disclosure_ops
from crm_sandbox.operations.cohorts import assignments, cohorts, credentials, enrolment
from crm_sandbox.queries import access, disclosure
from crm_sandbox.queries import cohorts as cohort_queries
from crm_sandbox.queries.unfinished import unfinished_work
from crm_sandbox.scenarios import load_library
from crm_sandbox.views import helpers
from crm_sandbox.views.access import roles_required
from crm_sandbox.views.helpers import download

bp = Blueprint("trainer", __name__, url_prefix="/trainer")

MAX_UPLOAD = enrolment.MAX_FILE_BYTES


def back_to(cohort_id: int, anchor: str = "") -> BaseResponse:
    return redirect(url_for("trainer.cohort", cohort_id=cohort_id) + (f"#{anchor}" if anchor else ""), 303)


def to_members(cohort_id: int | None, *, refused: bool = False) -> BaseResponse:
    """Back to the account list of the cohort (or to the console for an account in none); after a refusal,
    to the top of the page, where the message is."""
    if not cohort_id:
        return redirect(url_for("trainer.console"), 303)
    return back_to(cohort_id, "" if refused else "members")


def attempt(action: Callable[[], object], done: str | None, cohort_id: int, anchor: str = "") -> BaseResponse:
    """Run a service action; its refusal is shown as a message on the cohort page."""
    try:
        action()
    except NotFound:
        raise
    except ServiceError as err:
        flash(str(err), "error")
    else:
        if done:
            flash(done, "success")
    return back_to(cohort_id, anchor)


@bp.get("/")
@roles_required("trainer")
def console() -> ResponseReturnValue:
    all_cohorts = cohort_queries.all_cohorts()
    return render_template(
        "trainer/console.html",
        cohorts=all_cohorts,
        counts=cohorts.cohort_counts(),
        broken=cohorts.policy_health(all_cohorts),
        staff=cohort_queries.accounts_in_no_cohort(),
    )


@bp.post("/cohorts")
@roles_required("trainer")
def create_cohort() -> ResponseReturnValue:
    try:
        cohort = cohorts.create_cohort(request.form.get("name", ""))
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("trainer.console"), 303)
    flash(f"Created {cohort.name}, with its own customers.", "success")
    return back_to(cohort.id)


@bp.get("/cohorts/<int:cohort_id>")
@roles_required("trainer")
def cohort(cohort_id: int) -> ResponseReturnValue:
    return cohort_page(cohorts.get_cohort(cohort_id))


def cohort_page(c: Cohort, policy_form: policy.PolicyForm | None = None, status: int = 200) -> tuple[str, int]:
    """The cohort page; its policy form shows the stored policy and what is wrong with it, unless
    ``policy_form`` holds what was just typed and refused."""
    return render_template(
        "trainer/cohort.html",
        cohort=c,
        members=cohort_queries.members_of(c.id),
        by_learner=cohort_queries.contacts_by_learner(c.id),
        counts=cohorts.cohort_counts().get(c.id, {}),
        idv_factors=policy.IDV_FACTORS,
        panel_modes=policy.PANEL_MODES,
        modes=assignments.MODES,
        library=[f for f in load_library(current_app.config["SEED_DIR"]) if f.valid],
        policy_form=policy_form or policy.PolicyForm.stored(c.policy),
        stored_problems=policy.validate_policy(c.policy),
        qualifications=load_qualifications(current_app.config["SEED_DIR"]),
    ), status


@bp.post("/cohorts/<int:cohort_id>/qualification")
@roles_required("trainer")
def set_cohort_qualification(cohort_id: int) -> ResponseReturnValue:
    def run() -> None:
        c = cohorts.set_qualification(cohort_id, request.form.get("qualification", ""))
        own = sum(1 for u in cohort_queries.learners_of(cohort_id) if u.qualification)
        title = load_qualifications(current_app.config["SEED_DIR"]).get(c.qualification)
        flash(
            f"{c.name}'s learners are now registered on {title.title if title else c.qualification}"
            + (f" (except {own} registered on their own qualification)" if own else "")
            + ". Reviews show its criteria; judgements already made are kept.",
            "success",
        )

    return attempt(run, None, cohort_id, "qualification")


@bp.post("/users/<int:user_id>/qualification")
@roles_required("trainer")
def set_learner_qualification(user_id: int) -> ResponseReturnValue:
    user = cohort_queries.find_user(user_id) or abort(404)
    try:
        enrolment.set_qualification(user_id, request.form.get("qualification", ""))
    except ServiceError as err:
        flash(str(err), "error")
        return to_members(user.cohort_id, refused=True)
    quals = load_qualifications(current_app.config["SEED_DIR"])
    if user.qualification:
        found = quals.get(user.qualification)
        flash(f"{user.username} is now registered on {found.title if found else user.qualification}.", "success")
    else:
        found = quals.get(user.cohort.qualification if user.cohort else None)
        flash(
            f"{user.username} is now registered on the cohort's qualification"
            + (f", {found.title}" if found else "")
            + ".",
            "success",
        )
    return to_members(user.cohort_id)


@bp.post("/cohorts/<int:cohort_id>/status")
@roles_required("trainer")
def set_status(cohort_id: int) -> ResponseReturnValue:
    status = request.form.get("status", "")
    return attempt(lambda: cohorts.set_status(cohort_id, status), f"The cohort is now {status}.", cohort_id)


@bp.post("/cohorts/<int:cohort_id>/import")
@roles_required("trainer")
def import_users(cohort_id: int) -> ResponseReturnValue:
    """Create the accounts of an uploaded CSV; a refusal goes back to the top of the cohort page, where
    its message shows (not to the import form further down, which would hide it)."""
    cohorts.get_cohort(cohort_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV file to upload.", "error")
        return back_to(cohort_id)
    data = upload.stream.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        flash("That file is larger than 4 MB: split it.", "error")
        return back_to(cohort_id)
    try:
        issued = enrolment.import_users(cohort_id, data, kept_for=current_user.id)
    except ServiceError as err:
        flash(str(err), "error")
        return back_to(cohort_id)
    c = cohorts.get_cohort(cohort_id)
    return issued_page(issued, c, f"{len(issued.accounts)} account(s) imported into {c.name}")


def issued_page(issued: enrolment.Issued, cohort: Cohort | None, heading: str, note: str = "") -> str:
    """New one-time passwords, shown once (the page is never cached: see security.py), with their one download."""
    return render_template(
        "trainer/imported.html",
        cohort=cohort,
        accounts=issued.accounts,
        note=note,
        batch_id=issued.batch_id,
        heading=heading,
        lifetime=credentials.BATCH_LIFETIME,
    )


@bp.post("/users/<int:user_id>/reissue")
@roles_required("trainer")
def reissue_password(user_id: int) -> ResponseReturnValue:
    user = cohort_queries.find_user(user_id) or abort(404)
    cohort_id = user.cohort_id
    if request.form.get("confirm") != "yes":
        flash(f"No new password was issued: tick the box to confirm that {user.username} is to get one.", "error")
        return to_members(cohort_id, refused=True)
    else:
        try:
            issued = enrolment.reissue_password(user_id, kept_for=current_user.id)
        except ServiceError as err:
            flash(str(err), "error")
            return to_members(cohort_id, refused=True)
        else:
            disabled = (
                ""
                if user.active
                else (f"{user.username}'s account is disabled: enable it in the account list before they can sign in.")
            )
            return issued_page(
                issued,
                cohort_queries.find_cohort(cohort_id) if cohort_id else None,
                f"New one-time password for {user.username}",
                disabled,
            )
    return to_members(cohort_id)


@bp.post("/credentials/<int:batch_id>/download")
@roles_required("trainer")
def download_credentials(batch_id: int) -> ResponseReturnValue:
    """The one-time passwords as CSV, once; a second attempt is sent back to the account list to reissue."""
    cohort_id = credentials.batch_of(batch_id, current_user.id).cohort_id
    try:
        download = credentials.take(batch_id, current_user.id)
    except NotFound:
        raise
    except ServiceError as err:
        flash(str(err), "error")
        return to_members(cohort_id, refused=True)
    return Response(
        download.body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"', "Cache-Control": "no-store"},
    )


def chosen_scenarios(form: MultiDict[str, str]) -> list[str]:
    """The ticked scenarios, ordered by the numbers typed beside them (unnumbered ones after, in library order)."""
    ticked = form.getlist("scenarios")

    def key(item: tuple[int, str]) -> tuple[int, int]:
        index, sid = item
        raw = (form.get(f"order-{sid}") or "").strip()
        return (int(raw) if raw.isdecimal() else 10_000, index)

    return [sid for _, sid in sorted(enumerate(ticked), key=key)]


@bp.post("/cohorts/<int:cohort_id>/assign")
@roles_required("trainer")
def assign(cohort_id: int) -> ResponseReturnValue:
    form = request.form
    learner = form.get("learner", "all")
    assessor = form.get("assessor_id", "")

    def run() -> None:
        made = assignments.assign(
            cohort_id,
            chosen_scenarios(form),
            learner_id=helpers.whole_number(learner),
            mode=form.get("mode", "practice"),
            assessor_id=helpers.whole_number(assessor),
        )
        flash(f"Assigned: {len(made)} contact(s) queued, in the order chosen.", "success")

    return attempt(run, None, cohort_id, "assign")


@bp.post("/cohorts/<int:cohort_id>/policy")
@roles_required("trainer")
def update_policy(cohort_id: int) -> ResponseReturnValue:
    try:
        cohorts.update_policy(cohort_id, request.form)
    except cohorts.PolicyRefused as err:
        # Shown again as typed, with the problems beside the fields: a redirect would lose them.
        flash("The policy was not changed: fix the settings marked in the Policy section.", "error")
        return cohort_page(cohorts.get_cohort(cohort_id), policy.PolicyForm.refused(request.form, err.problems), 400)
    flash("Policy saved. It applies to contacts opened from now on; contacts already opened keep theirs.", "success")
    return back_to(cohort_id, "policy")


@bp.get("/cohorts/<int:cohort_id>/reset")
@roles_required("trainer")
def confirm_reset(cohort_id: int) -> ResponseReturnValue:
    """What the reset will do and what it would leave unfinished, before the trainer chooses."""
    c = cohorts.get_cohort(cohort_id)
    return render_template(
        "trainer/reset.html",
        cohort=c,
        counts=cohorts.cohort_counts().get(c.id, {}),
        learners=cohort_learners(c.id),
        work=unfinished_work(c.id),
    )


@bp.post("/cohorts/<int:cohort_id>/reset")
@roles_required("trainer")
def reset(cohort_id: int) -> ResponseReturnValue:
    c = cohorts.get_cohort(cohort_id)
    again = redirect(url_for("trainer.confirm_reset", cohort_id=cohort_id), 303)
    generation, unfinished = request.form.get("generation", ""), request.form.get("unfinished", "")
    if not generation.isdecimal() or not unfinished:
        flash("The cohort was not reset: confirm on this page, after checking what the reset will do.", "error")
        return again
    if request.form.get("confirm", "").strip() != c.name:
        flash(f"The cohort was not reset: type its name, {c.name}, exactly to confirm.", "error")
        return again
    try:
        result = reset_cohort(c.name, generation=int(generation), unfinished=unfinished)
    except (AlreadyReset, StaleReset) as err:  # a second submit of the same confirmation
        flash(str(err), "warning")
        return back_to(cohort_id)
    except NotFound:
        raise
    except ServiceError as err:
        flash(str(err), "error")
        return again
    left = result.unfinished.total
    flash(
        f"{result.cohort_name} was reset: {len(result.packs)} evidence pack(s) archived"
        + (f" ({left} unfinished contact(s) as they stood)" if left else "")
        + f", {result.customers} new customers (seed {result.seed}). "
        "Import the next group and assign their work.",
        "success",
    )
    if result.renderings_failed:
        flash(f"The cohort was reset, but {result.renderings_failed}.", "warning")
    for username, problems in sorted(result.problems.items()):
        flash(
            f"The evidence of {username} failed verification: it was archived anyway, and its pack carries a "
            f"signed problems.json naming it ({problems[0]}"
            + (f"; and {len(problems) - 1} more" if len(problems) > 1 else "")
            + "). Treat it as unreliable and investigate (flask verify-log).",
            "error",
        )
    return back_to(cohort_id)


@bp.post("/users/<int:user_id>/active")
@roles_required("trainer")
def set_active(user_id: int) -> ResponseReturnValue:
    user = cohort_queries.find_user(user_id) or abort(404)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        flash("Choose to enable or disable the account.", "error")
    else:
        try:
            enrolment.set_active(user_id, wanted == "1")
            flash(f"{user.username} is now {'enabled' if wanted == '1' else 'disabled'}.", "success")
        except ServiceError as err:
            flash(str(err), "error")
    return to_members(user.cohort_id)


@bp.get("/users/<int:user_id>/export")
@roles_required("trainer")
def export_learner(user_id: int) -> ResponseReturnValue:
    """Subject access: everything held about an account of any role, as JSON."""
    doc = gdpr.subject_access_export(user_id)
    subject = gdpr.get_subject(user_id)
    disclosure_ops.subject_access_view(current_user, subject, doc)  # it carries customer data: recorded first
    return json_download(doc, f"subject-access-{doc['account']['username']}.json")


def json_download(doc: dict, filename: str) -> Response:
    return Response(
        json.dumps(doc, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.post("/users/<int:user_id>/erase")
@roles_required("trainer")
def erase_learner(user_id: int) -> ResponseReturnValue:
    """Erasure of an account of any role (the endpoint keeps its first name)."""
    user = gdpr.get_subject(user_id)
    cohort_id, old = user.cohort_id, user.username
    try:
        erased = gdpr.erase_account(user_id, request.form.get("confirm", ""), by_user_id=current_user.id)
        flash(
            f"{old}'s personal data was erased: the account is now {erased.username}, disabled, signed out "
            "everywhere, its failed-sign-in records deleted; their recorded work is kept under that pseudonym.",
            "success",
        )
    except NotFound:
        raise
    except ServiceError as err:
        flash(str(err), "error")
    return to_members(cohort_id)


@bp.get("/scenarios")
@roles_required("trainer")
def scenarios() -> ResponseReturnValue:
    return render_template("trainer/scenarios.html", library=load_library(current_app.config["SEED_DIR"]))


@bp.get("/archive")
@roles_required("trainer")
def archive_list() -> ResponseReturnValue:
    try:
        days, retention_problem = archive.retention_days(), None
    except archive.RetentionError as err:
        days, retention_problem = None, str(err)
    return render_template(
        "trainer/archive.html",
        runs=archive.archived_runs(),
        unrecorded=archive.unrecorded_runs(),
        retention_days=days,
        retention_problem=retention_problem,
    )


@bp.post("/archive/subject/export")
@roles_required("trainer")
def archive_subject_export() -> ResponseReturnValue:
    """Subject access for a person whose cohort was reset (the username is posted, never in the address)."""
    username = request.form.get("username", "")
    try:
        doc = gdpr.archive_subject_export(username)
    except ServiceError as err:  # NotFound included: the answer for someone erased, purged or never archived
        flash(str(err), "error")
        return redirect(url_for("trainer.archive_list") + "#subject", 303)
    return json_download(doc, "subject-access-archive.json")


@bp.post("/archive/subject/erase")
@roles_required("trainer")
def archive_subject_erase() -> ResponseReturnValue:
    username = request.form.get("username", "")
    try:
        purged = gdpr.erase_archived(username, request.form.get("confirm", ""))
    except ServiceError as err:
        flash(str(err), "error")
    else:
        flash(
            f"Erased from the archive: {len(purged)} pack(s) deleted, their index entries removed; "
            "recorded in the ledger.",
            "success",
        )
    return redirect(url_for("trainer.archive_list") + "#subject", 303)


@bp.get("/archive/<run>/learners/<int:pack_id>/pack")
@roles_required("trainer")
def download_pack(run: str, pack_id: int) -> ResponseReturnValue:
    """The learner's signed evidence pack, as archived (checked or not: a damaged one is evidence too)."""
    pack = archive.get_run_pack(run, pack_id)
    name = f"{slug(pack.cohort_name)}-{pack.learner_username}"
    try:
        data = archive.stored_pack(pack)  # decrypted with the centre's key
    except archive.UnreadablePack:  # damaged: the file as archived (still encrypted) is evidence too
        disclosure_ops.archive_view(current_user, "archived-pack", pack, [], [])
        return download(archive.pack_path(pack), "application/octet-stream", f"{name}.zip.enc")
    disclosure_ops.archive_view(current_user, "archived-pack", pack, *archive_qa.pack_customers(data))
    return download(data, "application/zip", f"{name}.zip")


@bp.get("/archive/<run>/learners/<int:pack_id>/report")
@roles_required("trainer")
def archived_report(run: str, pack_id: int) -> ResponseReturnValue:
    """The printable learner report sealed in the pack (only from a pack that passes its check)."""
    pack = archive.get_run_pack(run, pack_id)
    report, data = archive.checked_learner_report(pack)
    disclosure_ops.archive_view(current_user, "archived-report", pack, *archive_qa.pack_customers(data))
    return download(report, "application/pdf", f"{slug(pack.cohort_name)}-{pack.learner_username}-report.pdf")


@bp.post("/archive/purge")
@roles_required("trainer")
def purge_archive() -> ResponseReturnValue:
    """Apply retention now (it also runs by itself: at start-up and every RETENTION_PURGE_HOURS)."""
    try:
        report = retention.purge()
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("trainer.archive_list"), 303)
    purged = report.packs
    flash(
        f"Purged {len(purged)} pack(s) past their retention date."
        if purged
        else "No pack is past its retention date: nothing was purged.",
        "success" if purged else "info",
    )
    if report.cohorts or report.sessions or report.throttle:
        flash(
            f"Also purged from the live database: {len(report.cohorts)} closed cohort(s), {report.sessions} ended "
            f"sign-in session(s), {report.throttle} old failed-sign-in record(s). Recorded in the ledger.",
            "info",
        )
    return redirect(url_for("trainer.archive_list"), 303)


# --- who saw what (issue 16): the disclosure record, for trainers and assessors acting as IQA ---------------
@bp.get("/contacts/<int:contact_id>/disclosures")
@roles_required("trainer", "assessor")
def contact_disclosures(contact_id: int) -> ResponseReturnValue:
    contact = access.get_contact_for(current_user, contact_id)
    return render_template("trainer/disclosures.html", page=disclosure.contact_disclosures(contact), kinds=VIEW_KINDS)


@bp.get("/cohorts/<int:cohort_id>/customers/<ref>/disclosures")
@roles_required("trainer", "assessor")
def customer_disclosures(cohort_id: int, ref: str) -> ResponseReturnValue:
    cohort = disclosure.staff_cohort(current_user, cohort_id)
    if not ref or len(ref) > 16 or not all(ch.isalnum() or ch in "-_" for ch in ref):
        abort(404)
    return render_template(
        "trainer/disclosures.html", page=disclosure.customer_disclosures(cohort, ref), kinds=VIEW_KINDS
    )


@bp.get("/cohorts/<int:cohort_id>/disclosures")
@roles_required("trainer", "assessor")
def cohort_disclosures(cohort_id: int) -> ResponseReturnValue:
    cohort = disclosure.staff_cohort(current_user, cohort_id)
    return render_template("trainer/disclosures.html", page=disclosure.cohort_disclosures(cohort), kinds=VIEW_KINDS)
