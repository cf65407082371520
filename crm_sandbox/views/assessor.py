"""The assessor's pages: cohort dashboard, live observation (and playing the caller), and review."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm_sandbox.events.registry import body, describe
from crm_sandbox.models import Cohort, Contact
from crm_sandbox.operations import disclosure
from crm_sandbox.operations import review as reviews
from crm_sandbox.operations.desk import roleplay
from crm_sandbox.queries import access, kpis
from crm_sandbox.queries import cohorts as cohort_queries
from crm_sandbox.queries import dashboard as board
from crm_sandbox.queries.quality.standardisation import blind_contact_ids
from crm_sandbox.queries.review import contact_review, observed_events
from crm_sandbox.views import helpers
from crm_sandbox.views.access import roles_required
from crm_sandbox.views.helpers import form, review_page

bp = Blueprint("assessor", __name__, url_prefix="/assessor")
STAFF = ("assessor", "trainer")


def cohort_in_view() -> Cohort:
    """The assessor's own cohort; a trainer picks one with ?cohort= (the first, by default)."""
    cohort = access.cohort_in_view(current_user, request.args.get("cohort", ""))
    if cohort is None:
        abort(404)
    return cohort


def staff_contact(contact_id: int) -> Contact:
    """A contact of the cohort in view (the error handler shows 404/403 with the reason otherwise)."""
    return access.get_contact_for(current_user, contact_id)


def act(
    action: Callable[[], object],
    endpoint: str,
    contact: Contact,
    done: str | Callable[[Any], str] | None = None,
    anchor: str = "",
) -> ResponseReturnValue:
    """Run a service action, then go back to the contact's ``endpoint`` page (see ``helpers.act``)."""
    return helpers.act(action, url_for(endpoint, contact_id=contact.id) + anchor, done)


@bp.get("/")
@roles_required(*STAFF)
def dashboard() -> ResponseReturnValue:
    cohort = cohort_in_view()
    learner = request.args.get("learner", "")
    status = request.args.get("status", "")
    rows = board.cohort_dashboard(
        cohort.id, helpers.whole_number(learner), status if status in board.STATUSES else None
    )
    cohorts = cohort_queries.all_cohorts() if current_user.cohort_id is None else [cohort]
    learners = cohort_queries.learners_of(cohort.id)
    awaiting = board.awaiting_review(rows)
    filters = {
        k: v for k, v in (("cohort", request.args.get("cohort", "")), ("learner", learner), ("status", status)) if v
    }
    return render_template(
        "assessor/dashboard.html",
        blind=blind_contact_ids(current_user),  # contacts this assessor marks blind: their flags stay hidden
        cohort=cohort,
        cohorts=cohorts,
        rows=rows,
        page=board.page_of(board.contact_rows(rows), request.args.get("page", "")),
        filters=filters,
        learners=learners,
        statuses=board.STATUSES,
        learner_filter=learner,
        status_filter=status,
        awaiting=awaiting[: board.AWAITING_SHOWN],
        awaiting_total=len(awaiting),
        peak=max([lr.kpis.average_handling_seconds or 0 for lr in rows] + [1]),
        duration=kpis.duration,
    )


@bp.get("/contacts/<int:contact_id>/observe")
@roles_required(*STAFF)
def observe(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    review = contact_review(contact)
    page = render_template("assessor/observe.html", contact=contact, review=review)
    disclosure.observe_view(current_user, contact, review.events)  # recorded before it is sent
    return page


@bp.get("/contacts/<int:contact_id>/timeline")
@roles_required(*STAFF)
def timeline(contact_id: int) -> ResponseReturnValue:
    """Events since ``after``, for live observation (reads only)."""
    contact = staff_contact(contact_id)
    raw_after = request.args.get("after", "0")
    after = helpers.whole_number(raw_after) or 0
    events, flags = observed_events(contact.id)
    disclosure.timeline_update(current_user, contact, [e for e in events if e.seq > after])  # before it is sent
    rows = [
        {
            "seq": e.seq,
            "at": e.at.strftime("%H:%M:%S"),
            "actor": e.actor,
            "type": e.type,
            "text": body(e),
            "detail": describe(e),
            "flags": flags.get(e.seq, []),
        }
        for e in events
        if e.seq > after or e.seq in flags
    ]
    return jsonify(
        status=contact.status, last_seq=events[-1].seq if events else 0, events=rows, role_player=contact.role_player_id
    )


@bp.post("/contacts/<int:contact_id>/caller/take")
@roles_required(*STAFF)
def take_caller(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    return act(
        lambda: roleplay.take_caller(contact, current_user),
        "assessor.observe",
        contact,
        "You are now playing the caller: the script is paused.",
    )


@bp.post("/contacts/<int:contact_id>/caller/release")
@roles_required(*STAFF)
def release_caller(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    return act(
        lambda: roleplay.hand_back_caller(contact, current_user),
        "assessor.observe",
        contact,
        "The scripted caller has taken over again.",
    )


@bp.post("/contacts/<int:contact_id>/caller/message")
@roles_required(*STAFF)
def caller_message(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    return act(
        lambda: roleplay.send_as_caller(contact, current_user, form("text"), form("form_token")),
        "assessor.observe",
        contact,
        anchor="#console",
    )


@bp.post("/contacts/<int:contact_id>/observations")
@roles_required(*STAFF)
def add_observation(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    target = "assessor.review" if form("back") == "review" else "assessor.observe"
    return act(
        lambda: reviews.observe(contact, current_user, form("text"), form("as_finding") == "yes"),
        target,
        contact,
        "Observation added to the timeline.",
    )


@bp.get("/contacts/<int:contact_id>/review")
@roles_required(*STAFF)
def review(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    review = contact_review(contact)
    page = review_page("assessor/review.html", contact, review)
    disclosure.contact_view(current_user, "review", contact, review.events)
    return page


@bp.get("/contacts/<int:contact_id>/replay")
@roles_required(*STAFF)
def replay(contact_id: int) -> ResponseReturnValue:
    """The contact replayed: the desk as it was at any event (``?at=``), from the events alone."""
    contact = staff_contact(contact_id)
    return helpers.replay_page(contact, current_user, url_for("assessor.review", contact_id=contact.id))


@bp.post("/contacts/<int:contact_id>/findings/<int:finding_id>/decision")
@roles_required(*STAFF)
def decide(contact_id: int, finding_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    finding = access.contact_finding(contact, finding_id)
    seen = form("seen")
    return act(
        lambda: reviews.decide_finding(
            finding,
            current_user,
            form("decision"),
            form("comment"),
            -1 if (n := helpers.whole_number(seen)) is None else n,
        ),
        "assessor.review",
        contact,
        "Decision recorded.",
        f"#finding-{finding_id}",
    )


@bp.post("/contacts/<int:contact_id>/findings")
@roles_required(*STAFF)
def add_finding(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    seqs = [n for s in request.form.getlist("events") if (n := helpers.whole_number(s)) is not None]
    return act(
        lambda: reviews.add_finding(
            contact,
            current_user,
            form("rule"),
            form("explanation"),
            seqs,
            form("evidence"),
            form("severity") or "medium",
        ),
        "assessor.review",
        contact,
        "Your finding was added.",
        "#findings",
    )


@bp.post("/contacts/<int:contact_id>/criteria/<criterion_id>")
@roles_required(*STAFF)
def judge(contact_id: int, criterion_id: str) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    return act(
        lambda: reviews.judge_criterion(
            contact, current_user, criterion_id, form("status") or form("met"), form("comment")
        ),
        "assessor.review",
        contact,
        "Criterion judged.",
        f"#criterion-{criterion_id}",
    )


@bp.post("/contacts/<int:contact_id>/sign-off")
@roles_required(*STAFF)
def sign_off(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    typed = {key: form(key) for key in ("outcome", "feedback", "override_reason")}
    return helpers.act(
        lambda: reviews.sign_off(contact, current_user, typed["outcome"], typed["feedback"], typed["override_reason"]),
        url_for("assessor.review", contact_id=contact.id) + "#sign-off",
        lambda a: f"Signed off: version {a.version}. The review is now locked.",
        refused=lambda err: (review_page("assessor/review.html", contact, contact_review(contact), typed), err.status),
    )


@bp.post("/contacts/<int:contact_id>/reopen")
@roles_required(*STAFF)
def reopen(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    version = form("version")
    return act(
        lambda: reviews.reopen(
            contact,
            current_user,
            form("reason"),
            form("confirm") == "yes",
            int(version) if version.isdecimal() and len(version) < 9 else None,
        ),
        "assessor.review",
        contact,
        lambda a: f"Reopened: version {a.version} is voided (kept in the history). Decide again, then sign off.",
        "#sign-off",
    )


@bp.post("/contacts/<int:contact_id>/release")
@roles_required(*STAFF)
def release(contact_id: int) -> ResponseReturnValue:
    contact = staff_contact(contact_id)
    return act(
        lambda: reviews.release(contact, current_user),
        "assessor.review",
        contact,
        "Released: the learner can now read and sign their report.",
        "#sign-off",
    )
