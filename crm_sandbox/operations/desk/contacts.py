"""A learner's contacts: access checks, the queue, and searching and viewing customer records, as events.

Taking a contact from the queue and closing it are in ``lifecycle``.
"""
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from crm_sandbox.compliance.verification import verification_state
from crm_sandbox.errors import NotAllowed, NotFound
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import CUSTOMER_SEARCHED, CUSTOMER_VIEWED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.queries import customers as customer_service


def get_contact_for(user: User, contact_id: int) -> Contact:
    """The contact, if ``user`` may work on it (a learner only their own); else NotFound/NotAllowed."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    if user.role == "learner" and contact.learner_id != user.id:
        raise NotAllowed("This contact belongs to another learner.")
    if user.role != "learner" and user.cohort_id not in (None, contact.cohort_id):
        raise NotAllowed("This contact belongs to another cohort.")
    return contact


@dataclass(frozen=True)
class QueueItem:
    """A contact as the learner's queue lists it."""

    id: int
    position: int
    title: str
    reason: str
    channel: str
    status: str


def queue_for(learner: User) -> list[QueueItem]:
    """The learner's contacts in queue order (only the columns the queue shows: it is on every desk page)."""
    rows = db.session.execute(
        select(Contact.id, Contact.position, Contact.scenario_id, Contact.scenario["title"].as_string(),
               Contact.scenario["reason"].as_string(), Contact.channel, Contact.status)
        .where(Contact.learner_id == learner.id).order_by(Contact.position))
    return [QueueItem(cid, position, scenario_id if title is None else title, reason or "", channel, status)
            for cid, position, scenario_id, title, reason, channel, status in rows]


def search_customers(contact: Contact, user: User, query: str, form_token: str | None = None) -> None:
    """Record a customer search on the contact, with the records it listed (by id and reference only).

    Which records the learner could pick from is part of the evidence, and the desk lists them from
    the event instead of searching again on every page load. Names are not copied into the event:
    the desk looks them up by id, and exports carry the references.
    """
    query = customer_service.check_query(query)
    hits = customer_service.search(contact.cohort_id, query)
    results = [{"id": h.id, "ref": h.ref} for h in hits]
    with contact_operation(contact, form_token, repeated="That search was already sent.") as op:
        op.append(CUSTOMER_SEARCHED, {"query": query, "results": results}, actor="learner", user=user)
        op.refresh_findings()


def view_customer(contact: Contact, user: User, customer_id: int, form_token: str | None = None) -> None:
    """Open a customer record on the contact, logging which fields were shown (the reveal log)."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.cohort_id != contact.cohort_id:
        raise NotFound("There is no such customer in this cohort's records.")
    with contact_operation(contact, form_token, repeated=None) as op:
        if op.repeat:
            return  # the same button sent twice: the record is already open, nothing new was shown
        state = verification_state(op.contact.policy, contact_events(op.contact.id))
        verified = state.verified and customer.id == op.contact.customer_id
        op.append(CUSTOMER_VIEWED, reveal(customer, verified), actor="learner", user=user)
        op.refresh_findings()


def reveal(customer: Customer, verified: bool) -> dict[str, Any]:
    """The data of a ``customer.viewed`` event: who was shown, which fields, and the ID&V state."""
    return {"customer_id": customer.id, "customer_ref": customer.ref,
            "fields": customer_service.shown_field_names(verified), "verified": verified}
