"""Searching for and viewing customer records on a contact, as events (who may see which contact is
``queries/access.py``; taking a contact and closing it are in ``lifecycle``)."""

from typing import Any

from crm_sandbox.compliance.verification import verification_state
from crm_sandbox.errors import NotFound
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import CUSTOMER_SEARCHED, CUSTOMER_VIEWED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.queries import customers as customer_service


def search_customers(contact: Contact, user: User, query: str, form_token: str | None = None) -> None:
    """Record a customer search on the contact, with the records it listed (by id and reference only).

    Which records the learner could pick from is part of the evidence, and the desk lists them from
    the event instead of searching again on every page load. Names are not copied into the event:
    the desk looks them up by id, and exports carry the references.
    """
    query = customer_service.check_query(query)
    hits = customer_service.search(contact.cohort_id, query, learner_id=contact.learner_id)
    results = [{"id": h.id, "ref": h.ref} for h in hits]
    with contact_operation(contact, form_token, repeated="That search was already sent.") as op:
        op.append(CUSTOMER_SEARCHED, {"query": query, "results": results}, actor="learner", user=user)
        op.refresh_findings()


def view_customer(contact: Contact, user: User, customer_id: int, form_token: str | None = None) -> None:
    """Open a customer record on the contact, logging which fields were shown (the reveal log)."""
    customer = db.session.get(Customer, customer_id)
    # Another learner's customer is as unknown as a missing one: their worlds are private.
    if (
        customer is None
        or customer.cohort_id != contact.cohort_id
        or not customer_service.is_in_world(customer, contact.learner_id)
    ):
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
    return {
        "customer_id": customer.id,
        "customer_ref": customer.ref,
        "fields": customer_service.shown_field_names(verified),
        "verified": verified,
    }
