"""A learner's contacts: access checks, opening, searching and viewing records, all as events."""
from dataclasses import dataclass

from sqlalchemy import select

from crm_sandbox.compliance.verification import IdvState, verification_state
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, Event, User, utcnow
from crm_sandbox.services import customers as customer_service
from crm_sandbox.services.errors import Conflict, NotAllowed, NotFound
from crm_sandbox.services.events import append_event, contact_events, lock_contact, token_used


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


def queue_for(learner: User) -> list[Contact]:
    return list(db.session.execute(
        select(Contact).where(Contact.learner_id == learner.id).order_by(Contact.position)
    ).scalars())


@dataclass
class Workspace:
    """What the learner desk shows for a contact, derived from its events."""

    contact: Contact
    events: list[Event]
    idv: IdvState
    search_query: str | None
    search_hits: list
    record: Customer | None  # the customer record currently open on this contact

    @property
    def record_is_callers(self) -> bool:
        return self.record is not None and self.record.id == self.contact.customer_id

    @property
    def verified(self) -> bool:
        """Whether the open record may be shown unmasked: verified on this contact, for its customer."""
        return self.record_is_callers and self.idv.verified


def workspace(contact: Contact) -> Workspace:
    events = contact_events(contact.id)
    query, record_id = None, None
    for ev in events:
        if ev.type == "customer.searched":
            query = ev.data["query"]
        elif ev.type == "customer.viewed":
            record_id = ev.data["customer_id"]
    hits = customer_service.search(contact.cohort_id, query) if query else []
    record = db.session.get(Customer, record_id) if record_id else None
    return Workspace(contact, events, verification_state(contact.policy, events), query, hits, record)


def lock_live_contact(contact: Contact, user: User) -> Contact:
    """Re-read the contact under the write lock and check it can still be worked on."""
    locked = lock_contact(contact.id)
    if locked.status == "closed":
        raise Conflict("This contact is closed: nothing more can be recorded on it.")
    if locked.status == "queued":
        raise Conflict("Open the contact before working on it.")
    return locked


def open_contact(contact: Contact, user: User) -> None:
    """Take a queued contact: it goes live and ``contact.opened`` is recorded (once)."""
    with write_transaction():
        locked = lock_contact(contact.id)
        if locked.status != "queued":
            return  # already open (another tab, or a replayed request): nothing to record
        locked.status, locked.opened_at = "live", utcnow()
        append_event(locked, "contact.opened", {}, actor="learner", user_id=user.id)


def search_customers(contact: Contact, user: User, query: str, form_token: str | None = None) -> None:
    """Record a customer search on the contact (the results are re-derived when shown)."""
    query = customer_service.check_query(query)
    with write_transaction():
        locked = lock_live_contact(contact, user)
        if token_used(locked, form_token):
            raise Conflict("That search was already sent.")
        append_event(locked, "customer.searched", {"query": query}, actor="learner",
                     user_id=user.id, form_token=form_token)


def view_customer(contact: Contact, user: User, customer_id: int, form_token: str | None = None) -> None:
    """Open a customer record on the contact, logging which fields were shown (the reveal log)."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.cohort_id != contact.cohort_id:
        raise NotFound("There is no such customer in this cohort's records.")
    with write_transaction():
        locked = lock_live_contact(contact, user)
        if token_used(locked, form_token):
            return
        state = verification_state(locked.policy, contact_events(locked.id))
        verified = state.verified and customer.id == locked.customer_id
        append_event(locked, "customer.viewed", reveal(customer, verified), actor="learner",
                     user_id=user.id, form_token=form_token)


def reveal(customer: Customer, verified: bool) -> dict:
    """The data of a ``customer.viewed`` event: who was shown, which fields, and the ID&V state."""
    return {"customer_id": customer.id, "customer_ref": customer.ref,
            "fields": customer_service.shown_field_names(verified), "verified": verified}
