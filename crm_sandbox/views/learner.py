"""The learner desk: the queue and the contact workspace."""
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from crm_sandbox.policy import IDV_FACTORS
from crm_sandbox.services import contacts as contact_service
from crm_sandbox.services import customers as customer_service
from crm_sandbox.services import identity
from crm_sandbox.services.errors import NotAllowed, NotFound, ServiceError
from crm_sandbox.views.access import roles_required

bp = Blueprint("learner", __name__, url_prefix="/learner")

RESULT_MESSAGES = {
    "verified": ("Verified: the caller passed security. Account details are now shown.", "success"),
    "locked": ("Verification locked: too many wrong answers. Do not discuss the account.", "error"),
    "match": ("Match: that answer is correct.", "success"),
    "no_match": ("No match: that answer is not what we hold.", "warning"),
}


def own_contact(contact_id: int) -> Contact:
    try:
        return contact_service.get_contact_for(current_user, contact_id)
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)


def act(contact: Contact, action: Callable[[], str | None]):
    """Run a service action for the workspace, then show the workspace again (errors as messages)."""
    try:
        result = action()
    except (NotFound, NotAllowed):
        raise
    except ServiceError as err:
        flash(str(err), "error")
    else:
        if result in RESULT_MESSAGES:
            flash(*RESULT_MESSAGES[result])
    return redirect(url_for("learner.contact", contact_id=contact.id), code=303)


@bp.get("/")
@roles_required("learner")
def queue():
    return render_template("learner/queue.html", contacts=contact_service.queue_for(current_user))


@bp.get("/contacts/<int:contact_id>")
@roles_required("learner")
def contact(contact_id: int):
    contact = own_contact(contact_id)
    ws = contact_service.workspace(contact)
    record_fields = customer_service.record_fields(ws.record, ws.verified) if ws.record else []
    factors = [
        {"id": f, "label": IDV_FACTORS[f],
         "prompt": identity.factor_prompt(contact, contact.customer, f),
         "stored": identity.stored_answer(contact, contact.customer, f)
         if contact.policy.get("panel_mode") == "compare" else None}
        for f in contact.policy.get("idv_factors", [])
    ]
    return render_template("learner/contact.html", ws=ws, contact=contact, record_fields=record_fields,
                           factors=factors, queue=contact_service.queue_for(current_user))


@bp.post("/contacts/<int:contact_id>/open")
@roles_required("learner")
def open_contact(contact_id: int):
    contact = own_contact(contact_id)
    return act(contact, lambda: contact_service.open_contact(contact, current_user))


@bp.post("/contacts/<int:contact_id>/search")
@roles_required("learner")
def search(contact_id: int):
    contact = own_contact(contact_id)
    return act(contact, lambda: contact_service.search_customers(
        contact, current_user, request.form.get("query", ""), request.form.get("form_token")))


@bp.post("/contacts/<int:contact_id>/customers/<int:customer_id>/view")
@roles_required("learner")
def view_customer(contact_id: int, customer_id: int):
    contact = own_contact(contact_id)
    return act(contact, lambda: contact_service.view_customer(
        contact, current_user, customer_id, request.form.get("form_token")))


@bp.post("/contacts/<int:contact_id>/verify")
@roles_required("learner")
def verify(contact_id: int):
    contact = own_contact(contact_id)
    customer_id = request.form.get("customer_id", "")
    if not customer_id.isdigit():
        flash("Open the caller's customer record before verifying.", "error")
        return redirect(url_for("learner.contact", contact_id=contact.id), code=303)
    return act(contact, lambda: identity.submit_answer(
        contact, current_user, int(customer_id), request.form.get("factor", ""),
        request.form.get("answer", ""), request.form.get("form_token")))
