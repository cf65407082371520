"""The assessor's pages: cohort dashboard, live observation (and playing the caller), and review."""
from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import escalation_reference, money, results_count
from crm_sandbox.models import Cohort, Contact, Finding, User
from crm_sandbox.models.review import OUTCOMES
from crm_sandbox.queries import dashboard as board
from crm_sandbox.queries import kpis
from crm_sandbox.operations.desk import roleplay
from crm_sandbox.operations import review as reviews
from crm_sandbox.operations.desk import contacts as contact_service
from crm_sandbox.events.append import contact_events
from crm_sandbox.views.access import roles_required
from crm_sandbox.views import helpers
from crm_sandbox.views.helpers import form

bp = Blueprint("assessor", __name__, url_prefix="/assessor")
STAFF = ("assessor", "trainer")


def cohort_in_view() -> Cohort:
    """The assessor's own cohort; a trainer picks one with ?cohort= (the first, by default)."""
    if current_user.cohort_id is not None:
        return db.session.get(Cohort, current_user.cohort_id)
    cohort_id = request.args.get("cohort", "")
    cohort = db.session.get(Cohort, int(cohort_id)) if cohort_id.isdecimal() and len(cohort_id) < 19 else None
    cohort = cohort or db.session.execute(select(Cohort).order_by(Cohort.id)).scalars().first()
    if cohort is None:
        abort(404)
    return cohort


def staff_contact(contact_id: int) -> Contact:
    """A contact of the cohort in view (the error handler shows 404/403 with the reason otherwise)."""
    return contact_service.get_contact_for(current_user, contact_id)


def act(action, endpoint: str, contact: Contact, done: str | None = None, anchor: str = ""):
    """Run a service action, then go back to the contact's ``endpoint`` page (see ``helpers.act``)."""
    return helpers.act(action, url_for(endpoint, contact_id=contact.id) + anchor, done)


@bp.get("/")
@roles_required(*STAFF)
def dashboard():
    cohort = cohort_in_view()
    learner = request.args.get("learner", "")
    status = request.args.get("status", "")
    rows = board.cohort_dashboard(cohort.id, int(learner) if learner.isdecimal() else None,
                                      status if status in board.STATUSES else None)
    cohorts = db.session.execute(select(Cohort).order_by(Cohort.name)).scalars().all() \
        if current_user.cohort_id is None else [cohort]
    learners = db.session.execute(select(User).where(User.cohort_id == cohort.id, User.role == "learner")
                                  .order_by(User.username)).scalars().all()
    return render_template("assessor/dashboard.html", cohort=cohort, cohorts=cohorts, rows=rows,
                           learners=learners, statuses=board.STATUSES, learner_filter=learner,
                           status_filter=status, awaiting=board.awaiting_review(rows),
                           peak=max([lr.kpis.average_handling_seconds or 0 for lr in rows] + [1]),
                           duration=kpis.duration)


@bp.get("/contacts/<int:contact_id>/observe")
@roles_required(*STAFF)
def observe(contact_id: int):
    contact = staff_contact(contact_id)
    r = reviews.contact_review(contact)
    return render_template("assessor/observe.html", contact=contact, review=r, describe=describe)


@bp.get("/contacts/<int:contact_id>/timeline")
@roles_required(*STAFF)
def timeline(contact_id: int):
    """Events since ``after``, for live observation (reads only)."""
    contact = staff_contact(contact_id)
    after = request.args.get("after", "0")
    after = int(after) if after.isdecimal() else 0
    # Polled every 1.5 s by every observer: only the events and findings, not the whole review.
    events = contact_events(contact.id)
    flags: dict[int, list[str]] = {}
    for f in reviews.review_findings(contact.id):
        for seq in f.events:
            flags.setdefault(seq, []).append(f.rule)
    rows = [{"seq": e.seq, "at": e.at.strftime("%H:%M:%S"), "actor": e.actor, "type": e.type,
             "text": e.data.get("text") or e.data.get("query") or e.data.get("reason") or e.data.get("summary") or "",
             "detail": describe(e), "flags": flags.get(e.seq, [])}
            for e in events if e.seq > after or e.seq in flags]
    return jsonify(status=contact.status, last_seq=events[-1].seq if events else 0, events=rows,
                   role_player=contact.role_player_id)


def describe(event) -> str:
    """A one-line plain-English account of an event, for the timeline."""
    d = event.data
    return {
        "contact.opened": "Took the contact",
        "customer.searched": f"Searched customers for “{d.get('query', '')}”" + results_count(d),
        "customer.viewed": f"Opened record {d.get('customer_ref', d.get('customer_id'))}"
                           f" ({'unmasked' if d.get('verified') else 'masked'})",
        "idv.answer": f"ID&V {d.get('factor', '').replace('_', ' ')}: “{d.get('given', '')}” → "
                      f"{'match' if d.get('match') else 'no match'}",
        "idv.result": "Verification passed" if d.get("passed") else "Verification locked",
        "message.sent": "Learner message" + (f" (template {d['template_id']})" if d.get("template_id") else ""),
        "message.received": "Caller message" + (f" (typed by {d['played_by']})" if d.get("played_by") else ""),
        "note.added": "Note" + (f" [{d['outcome']}]" if d.get("outcome") else ""),
        "note.amended": f"Amended note #{d.get('note_seq')}: {d.get('reason', '')}",
        "record.updated": f"Updated {str(d.get('field', '')).replace('_', ' ')} to “{d.get('value', '')}”",
        "refund.issued": f"{'Refund' if d.get('kind', 'refund') == 'refund' else 'Goodwill credit'} {money(d.get('amount'))}",
        "complaint.raised": "Complaint logged",
        "escalated": f"Escalated to supervisor ({escalation_reference(event.contact_id, event.seq)})",
        "kb.viewed": f"Read knowledge article “{d.get('title', d.get('article'))}”",
        "observation.added": f"Observation by {d.get('by', 'assessor')}",
        "contact.closed": f"Closed: {d.get('outcome')} (resolved first time: {'yes' if d.get('resolved') else 'no'})",
    }.get(event.type, event.type)


@bp.post("/contacts/<int:contact_id>/caller/take")
@roles_required(*STAFF)
def take_caller(contact_id: int):
    contact = staff_contact(contact_id)
    return act(lambda: roleplay.take_caller(contact, current_user), "assessor.observe", contact,
               "You are now playing the caller: the script is paused.")


@bp.post("/contacts/<int:contact_id>/caller/release")
@roles_required(*STAFF)
def release_caller(contact_id: int):
    contact = staff_contact(contact_id)
    return act(lambda: roleplay.hand_back_caller(contact, current_user), "assessor.observe", contact,
               "The scripted caller has taken over again.")


@bp.post("/contacts/<int:contact_id>/caller/message")
@roles_required(*STAFF)
def caller_message(contact_id: int):
    contact = staff_contact(contact_id)
    return act(lambda: roleplay.send_as_caller(contact, current_user, form("text"), form("form_token")),
               "assessor.observe", contact, anchor="#console")


@bp.post("/contacts/<int:contact_id>/observations")
@roles_required(*STAFF)
def add_observation(contact_id: int):
    contact = staff_contact(contact_id)
    target = "assessor.review" if form("back") == "review" else "assessor.observe"
    return act(lambda: reviews.observe(contact, current_user, form("text"), form("as_finding") == "yes"),
               target, contact, "Observation added to the timeline.")


@bp.get("/contacts/<int:contact_id>/review")
@roles_required(*STAFF)
def review(contact_id: int):
    contact = staff_contact(contact_id)
    r = reviews.contact_review(contact)
    return render_template("assessor/review.html", contact=contact, review=r, describe=describe,
                           outcomes=OUTCOMES, duration=kpis.duration)


def contact_finding(contact: Contact, finding_id: int) -> Finding:
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.contact_id != contact.id:
        abort(404)
    return finding


@bp.post("/contacts/<int:contact_id>/findings/<int:finding_id>/decision")
@roles_required(*STAFF)
def decide(contact_id: int, finding_id: int):
    contact = staff_contact(contact_id)
    finding = contact_finding(contact, finding_id)
    seen = form("seen")
    return act(lambda: reviews.decide_finding(finding, current_user, form("decision"), form("comment"),
                                             int(seen) if seen.isdecimal() else -1),
               "assessor.review", contact, "Decision recorded.", f"#finding-{finding_id}")


@bp.post("/contacts/<int:contact_id>/findings")
@roles_required(*STAFF)
def add_finding(contact_id: int):
    contact = staff_contact(contact_id)
    seqs = [int(s) for s in request.form.getlist("events") if s.isdecimal()]
    return act(lambda: reviews.add_finding(contact, current_user, form("rule"), form("explanation"), seqs,
                                          form("evidence"), form("severity") or "medium"),
               "assessor.review", contact, "Your finding was added.", "#findings")


@bp.post("/contacts/<int:contact_id>/criteria/<criterion_id>")
@roles_required(*STAFF)
def judge(contact_id: int, criterion_id: str):
    contact = staff_contact(contact_id)
    return act(lambda: reviews.judge_criterion(contact, current_user, criterion_id, form("met"), form("comment")),
               "assessor.review", contact, "Criterion judged.", f"#criterion-{criterion_id}")


@bp.post("/contacts/<int:contact_id>/sign-off")
@roles_required(*STAFF)
def sign_off(contact_id: int):
    contact = staff_contact(contact_id)
    return act(lambda: reviews.sign_off(contact, current_user, form("outcome"), form("feedback")),
               "assessor.review", contact, "Signed off.", "#sign-off")


@bp.post("/contacts/<int:contact_id>/release")
@roles_required(*STAFF)
def release(contact_id: int):
    contact = staff_contact(contact_id)
    return act(lambda: reviews.release(contact, current_user), "assessor.review", contact,
               "Released: the learner can now read and sign their report.", "#sign-off")
