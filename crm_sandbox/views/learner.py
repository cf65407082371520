"""The learner desk: the queue and the contact workspace."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from crm_sandbox.content import knowledge
from crm_sandbox.content.responses import load_responses, placeholder_values, responses_for
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.formatting import escalation_reference, money
from crm_sandbox.models import Contact
from crm_sandbox.operations import disclosure
from crm_sandbox.operations import review as reviews
from crm_sandbox.operations.desk import (
    actions,
    caller_replies,
    calls,
    conversation,
    handover,
    identity,
    lifecycle,
    notes,
)
from crm_sandbox.operations.desk import contacts as contact_service
from crm_sandbox.policy import IDV_FACTORS
from crm_sandbox.queries import access
from crm_sandbox.queries import customers as customer_service
from crm_sandbox.queries.queue import queue_for, released_contact_ids
from crm_sandbox.queries.review import assessment_of, released_review
from crm_sandbox.queries.workspace import updates as workspace_updates
from crm_sandbox.queries.workspace import workspace
from crm_sandbox.scenarios.desk_brief import desk_brief
from crm_sandbox.views import helpers
from crm_sandbox.views.access import roles_required
from crm_sandbox.views.helpers import Refused, form, review_page

bp = Blueprint("learner", __name__, url_prefix="/learner")

RESULT_MESSAGES = {
    "verified": ("Verified: the caller passed security. Account details are now shown.", "success"),
    "locked": ("Verification locked: too many wrong answers. Do not discuss the account.", "error"),
    "match": ("Match: that answer is correct.", "success"),
    "no_match": ("No match: that answer is not what we hold.", "warning"),
}


def own_contact(contact_id: int) -> Contact:
    """The signed-in learner's contact (the error handler shows 404/403 with the reason otherwise)."""
    return access.get_contact_for(current_user, contact_id)


def act(
    contact: Contact,
    action: Callable[[], object],
    done: str | Callable[[Any], str] | None = None,
    anchor: str = "",
    form_name: str = "",
) -> ResponseReturnValue:
    """Run a service action, then show the workspace again (see ``helpers.act``). If the action
    refuses the form ``form_name``, the workspace is shown at once with what was typed still in it."""

    def refused(err: ServiceError) -> tuple[str, int]:
        return show_contact(contact, refused_form(form_name, err)), 422

    return helpers.act(
        action,
        url_for("learner.contact", contact_id=contact.id) + anchor,
        done,
        RESULT_MESSAGES,
        refused if form_name else None,
    )


@bp.get("/")
@roles_required("learner")
def queue() -> ResponseReturnValue:
    return render_template(
        "learner/queue.html", contacts=queue_for(current_user), released=released_contact_ids(current_user)
    )


@bp.get("/contacts/<int:contact_id>")
@roles_required("learner")
def contact(contact_id: int) -> ResponseReturnValue:
    return show_contact(own_contact(contact_id))


def show_contact(contact: Contact, refused: Refused | None = None, kb_query: str = "") -> str:
    """The workspace page; after a refused form, with that form's typed values and its error; after a
    knowledge-base search, with its results (``kb_query``, which comes from a POST, never from the URL)."""
    ws = workspace(contact)
    if caller_replies.deliver_due_replies(contact, ws.events):  # a caller's reply whose time has come
        ws = workspace(contact)
    seed_dir = current_app.config["SEED_DIR"]
    # compare mode shows what is on file for the record that is open (whichever it is), on the questions
    # the panel still asks: each "On file" answer shown is recorded as seen before ID&V
    comparing = (
        ws.policy.get("panel_mode") == "compare"
        and ws.record is not None
        and contact.status == "live"
        and not (ws.idv.verified or ws.idv.locked)
    )
    factors = [
        {
            "id": f,
            "label": IDV_FACTORS[f],
            "prompt": identity.factor_prompt(contact, ws.caller, f),
            "stored": identity.stored_answer(contact, ws.record, f)
            if comparing and ws.record is not None and f not in ws.idv.passed
            else None,
        }
        for f in ws.policy.get("idv_factors", [])
    ]
    callers_data = customer_service.customer_dict(ws.caller)
    # What the desk gave on this contact (responses.CONTACT_FIELDS), for the canned responses: the latest.
    escalated, paid = ws.of_type("escalated"), ws.of_type("refund.issued")
    given = {
        "escalation_reference": escalation_reference(contact.id, escalated[-1].seq) if escalated else "",
        "refund_amount": money(paid[-1].data.get("amount")) if paid else "",
    }
    page = render_template(
        "learner/contact.html",
        ws=ws,
        contact=contact,
        factors=factors,
        factor_labels=IDV_FACTORS,
        record_fields=customer_service.record_fields(ws.record, ws.verified) if ws.record else [],
        queue=ws.queue,
        responses=responses_for(seed_dir, contact.channel),
        placeholder_labels={t: p.label for t, p in load_responses(seed_dir)[0].items()},
        placeholder_values=placeholder_values(seed_dir, callers_data, ws.verified, given),
        kb_query=kb_query[:100],
        kb_results=knowledge.search(seed_dir, kb_query[:100]),
        outcomes=notes.outcome_codes(),
        updatable=actions.UPDATABLE_FIELDS,
        refused=refused or Refused(),
        brief=desk_brief(contact.scenario, callers_data) if contact.status != "queued" else None,
        call={
            "outbound": calls.is_outbound(contact),
            "dialled": calls.is_connected(ws.events, contact.customer_id),  # a wrong number: no one on the line
            "ended": calls.is_ended(ws.events),
        },
        teams=handover.TEAMS,
        end_reasons=calls.END_REASONS,
    )
    # Rendered, then recorded, then sent: what the learner is shown is on record (who saw what).
    disclosure.desk_view(current_user, ws, [f["id"] for f in factors if f["stored"]])
    return page


@bp.get("/contacts/<int:contact_id>/updates")
@roles_required("learner")
def updates(contact_id: int) -> ResponseReturnValue:
    """What happened since the cursor ``after`` (the page's live conversation): the caller's replies that
    have fallen due are delivered first, then only the events after the cursor are read."""
    contact = own_contact(contact_id)
    raw_after = request.args.get("after", "0")
    after = int(raw_after) if raw_after.isdecimal() and len(raw_after) < 10 else 0
    caller_replies.deliver_due_replies(contact)
    news = workspace_updates(contact, after)
    messages = [
        {
            "seq": e.seq,
            "actor": e.actor,
            "type": e.type,
            "text": e.data.get("text", ""),
            "subject": news.subject(e.data.get("subject")),
            "ends": bool(e.data.get("ends")),
            "public": bool(e.data.get("public")),
            "at": e.at.strftime("%H:%M:%S"),
        }
        for e in news.messages
    ]
    # Coaching tips only on a practice contact with the policy's practice mode on (never on an assessment).
    tips = [{"rule": f.rule, "explanation": f.explanation, "evidence": f.evidence} for f in news.tips()]
    return jsonify(
        status=contact.status,
        last_seq=news.last_seq,
        messages=messages,
        tips=tips,
        practice=news.practice,
        mode=contact.mode,
        typing=news.typing,
    )


@bp.post("/contacts/<int:contact_id>/open")
@roles_required("learner")
def open_contact(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(contact, lambda: lifecycle.open_contact(contact, current_user))


@bp.post("/contacts/<int:contact_id>/search")
@roles_required("learner")
def search(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: contact_service.search_customers(contact, current_user, form("query"), form("form_token")),
        form_name="search",
    )


@bp.post("/contacts/<int:contact_id>/customers/<int:customer_id>/view")
@roles_required("learner")
def view_customer(contact_id: int, customer_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(contact, lambda: contact_service.view_customer(contact, current_user, customer_id, form("form_token")))


@bp.post("/contacts/<int:contact_id>/verify")
@roles_required("learner")
def verify(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    if helpers.whole_number(form("customer_id")) is None:
        flash("Open the caller's customer record before verifying.", "error")
        return redirect(url_for("learner.contact", contact_id=contact.id), code=303)
    messages = dict(RESULT_MESSAGES)  # the result's message says what the answer was read as

    def check() -> str:
        checked = identity.submit_answer(
            contact, current_user, int(form("customer_id")), form("factor"), form("answer"), form("form_token")
        )
        text, category = RESULT_MESSAGES[checked.status]
        label = IDV_FACTORS.get(form("factor"), "Answer")
        messages[checked.status] = (f"{label} read as {checked.read}. {text}", category)
        return checked.status

    return helpers.act(
        check,
        url_for("learner.contact", contact_id=contact.id),
        None,
        messages,
        lambda err: (show_contact(contact, refused_form(f"verify-{form('factor')}", err)), 422),
    )


def refused_form(name: str, err: ServiceError) -> Refused:
    """The form ``name`` refused with ``err``, with what was typed in it."""
    typed = {k: v for k, v in request.form.items() if k not in ("csrf_token", "form_token")}
    return Refused(name, typed, str(err))


@bp.post("/contacts/<int:contact_id>/messages")
@roles_required("learner")
def send_message(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: conversation.send_message(
            contact,
            current_user,
            form("text"),
            template_id=form("template_id") or None,
            subject=form("subject"),
            public=form("visibility") == "public",
            form_token=form("form_token"),
        ),
        anchor="#composer",
        form_name="message",
    )


@bp.post("/contacts/<int:contact_id>/kb-search")
@roles_required("learner")
def search_articles(contact_id: int) -> ResponseReturnValue:
    """Search the knowledge base: a POST answered with the page itself (no redirect), so what was searched
    for (a caller's email or postcode, perhaps) is never in a URL, the browser's history or the access log."""
    return show_contact(own_contact(contact_id), kb_query=form("kb_q"))


@bp.post("/contacts/<int:contact_id>/kb/<slug>")
@roles_required("learner")
def read_article(contact_id: int, slug: str) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact, lambda: conversation.view_article(contact, current_user, slug, form("form_token")), anchor="#kb"
    )


@bp.post("/contacts/<int:contact_id>/notes")
@roles_required("learner")
def add_note(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: notes.add_note(contact, current_user, form("text"), form("outcome") or None, form("form_token")),
        "Note saved.",
        "#notes",
        "note",
    )


@bp.post("/contacts/<int:contact_id>/notes/<int:note_seq>/amend")
@roles_required("learner")
def amend_note(contact_id: int, note_seq: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: notes.amend_note(contact, current_user, note_seq, form("text"), form("reason"), form("form_token")),
        "Note amended; the original is kept.",
        "#notes",
        f"amend-{note_seq}",
    )


@bp.post("/contacts/<int:contact_id>/details")
@roles_required("learner")
def update_details(contact_id: int) -> ResponseReturnValue:
    """One detail (``field``, ``value``), or the whole address in one form (its lines by name)."""
    contact = own_contact(contact_id)
    if "address_line1" in request.form:
        return act(
            contact,
            lambda: actions.update_address(
                contact, current_user, {f: form(f) for f in actions.ADDRESS_FIELDS}, form("form_token")
            ),
            "Address updated.",
            "#actions",
            "address",
        )
    return act(
        contact,
        lambda: actions.update_details(contact, current_user, form("field"), form("value"), form("form_token")),
        "Record updated.",
        "#actions",
        "details",
    )


@bp.post("/contacts/<int:contact_id>/refund")
@roles_required("learner")
def refund(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: actions.issue_refund(
            contact,
            current_user,
            form("amount"),
            form("kind"),
            form("reason"),
            over_limit_confirmed=form("over_limit") == "yes",
            form_token=form("form_token"),
        ),
        "Payment made to the account.",
        "#actions",
        "refund",
    )


@bp.post("/contacts/<int:contact_id>/complaint")
@roles_required("learner")
def complaint(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: actions.raise_complaint(
            contact,
            current_user,
            form("summary"),
            form("investigation"),
            form("remedy"),
            form("outcome_communicated") == "yes",
            form("form_token"),
        ),
        "Complaint logged.",
        "#actions",
        "complaint",
    )


@bp.post("/contacts/<int:contact_id>/escalate")
@roles_required("learner")
def escalate(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: actions.escalate(contact, current_user, form("reason"), form("form_token")),
        lambda reference: f"Escalated to the supervisor queue. The reference is {reference}: give it to the customer.",
        "#actions",
        "escalate",
    )


@bp.post("/contacts/<int:contact_id>/dial")
@roles_required("learner")
def dial(contact_id: int) -> ResponseReturnValue:
    """An outbound call: dial the number held on the open record (a typed number must be that one)."""
    contact = own_contact(contact_id)
    customer_id = helpers.whole_number(form("customer_id"))
    if customer_id is None:
        flash("Open the customer's record first: outbound calls are dialled from the record.", "error")
        return redirect(url_for("learner.contact", contact_id=contact.id), code=303)
    return act(
        contact,
        lambda: calls.dial(contact, current_user, customer_id, form("number"), form("form_token")),
        "Call connected.",
        "#composer",
        "dial",
    )


@bp.post("/contacts/<int:contact_id>/end-call")
@roles_required("learner")
def end_call(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: calls.end_call(contact, current_user, form("reason"), form("form_token")),
        "Call ended. Write your notes and close the contact.",
        "#wrapup",
        "end-call",
    )


@bp.post("/contacts/<int:contact_id>/handover")
@roles_required("learner")
def refer(contact_id: int) -> ResponseReturnValue:
    """Refer the contact onward with a handover note to another team."""
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: handover.write_handover(contact, current_user, form("team"), form("text"), form("form_token")),
        "Handover note sent.",
        "#actions",
        "handover",
    )


@bp.post("/contacts/<int:contact_id>/close")
@roles_required("learner")
def close(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    return act(
        contact,
        lambda: lifecycle.close_contact(contact, current_user, form("outcome"), form("resolved"), form("form_token")),
        "Contact closed.",
        form_name="close",
    )


@bp.get("/contacts/<int:contact_id>/report")
@roles_required("learner")
def report(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    review = released_review(contact)
    page = review_page("learner/report.html", contact, review)
    disclosure.contact_view(current_user, "report", contact, review.events)
    return page


@bp.get("/contacts/<int:contact_id>/replay")
@roles_required("learner")
def replay(contact_id: int) -> ResponseReturnValue:
    """The learner's own contact replayed, once its report is released to them (404 before)."""
    contact = access.report_contact(current_user, contact_id)
    return helpers.replay_page(contact, current_user, url_for("learner.report", contact_id=contact.id))


@bp.post("/contacts/<int:contact_id>/report/acknowledge")
@roles_required("learner")
def acknowledge(contact_id: int) -> ResponseReturnValue:
    contact = own_contact(contact_id)
    raw = form("version")
    version = int(raw) if raw.isdecimal() and len(raw) < 9 else None
    try:
        reviews.acknowledge(contact, current_user, form("comment"), version)
    except NotFound:
        raise  # nothing released to this learner: 404, before the comment is looked at
    except ServiceError as err:
        flash(str(err), "error")
    else:
        flash("Thank you: your comment and signature are recorded.", "success")
    current = assessment_of(contact)
    if current is None or current.released_at is None:
        return redirect(url_for("learner.queue"), code=303)  # the version read was withdrawn: no report now
    return redirect(url_for("learner.report", contact_id=contact.id), code=303)
