"""A learner's contacts: opening, searching and viewing records, all as events (who may see which
contact is ``queries/access.py``)."""
from crm_sandbox.compliance.verification import verification_state
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, User, utcnow
from crm_sandbox.policy import validate_policy
from crm_sandbox.scenarios import caller
from crm_sandbox.queries import customers as customer_service
from crm_sandbox.errors import Conflict, NotFound, PolicyNeedsFixing
from crm_sandbox.events.append import append_event, contact_events, lock_contact, token_used


def policy_in_force(contact: Contact) -> dict:
    """The policy a contact is worked under: its own copy once opened (part of its evidence); while
    queued, the cohort's, which taking it will copy."""
    return contact.cohort.policy if contact.status == "queued" else contact.policy


def check_policy(contact: Contact) -> None:
    """Refuse to work under a policy that is not valid (edited in the database, or saved before
    policies were checked): the learner is told what a trainer must fix, instead of a 500."""
    problems = validate_policy(policy_in_force(contact))
    if problems:
        whose = "This cohort's policy" if contact.status == "queued" else "The policy this contact was opened under"
        raise PolicyNeedsFixing(f"{whose} needs fixing by a trainer: {'; '.join(problems)}.")


def lock_live_contact(contact: Contact, *, allow_closed: bool = False) -> Contact:
    """Re-read the contact under the write lock and check it can still be worked on.

    Only notes (and reading the knowledge base) are allowed after a contact is closed: a late note
    is evidence too.
    """
    locked = lock_contact(contact.id)
    if locked.status == "closed" and not allow_closed:
        raise Conflict("This contact is closed: only notes can be added now.")
    if locked.status == "queued":
        raise Conflict("Open the contact before working on it.")
    check_policy(locked)
    return locked


def caller_opening(contact: Contact) -> dict:
    """The caller's first message, recorded when the contact is opened."""
    data = {"text": caller.opening_message(contact.scenario, customer_service.customer_dict(contact.customer))}
    if contact.channel == "email":
        data["subject"] = contact.scenario["caller"].get("subject") or contact.title
    return data


def open_contact(contact: Contact, user: User) -> None:
    """Take a queued contact: it goes live and ``contact.opened`` is recorded (once).

    The contact keeps a copy of the cohort's policy as it is now: a later policy change applies to
    contacts opened after it, and the policy a contact was worked under is part of its evidence.
    """
    with write_transaction():
        locked = lock_contact(contact.id)
        if locked.status != "queued":
            return  # already open (another tab, or a replayed request): nothing to record
        check_policy(locked)
        locked.status, locked.opened_at, locked.policy = "live", utcnow(), dict(locked.cohort.policy)
        append_event(locked, "contact.opened", {}, actor="learner", user_id=user.id)
        append_event(locked, "message.received", caller_opening(locked), actor="caller")


def search_customers(contact: Contact, user: User, query: str, form_token: str | None = None) -> None:
    """Record a customer search on the contact, with the records it listed (by id and reference only).

    Which records the learner could pick from is part of the evidence, and the desk lists them from
    the event instead of searching again on every page load. Names are not copied into the event:
    the desk looks them up by id, and exports carry the references.
    """
    query = customer_service.check_query(query)
    hits = customer_service.search(contact.cohort_id, query)
    with write_transaction():
        locked = lock_live_contact(contact)
        if token_used(locked, form_token):
            raise Conflict("That search was already sent.")
        append_event(locked, "customer.searched",
                     {"query": query, "results": [{"id": h.id, "ref": h.ref} for h in hits]},
                     actor="learner", user_id=user.id, form_token=form_token)


def view_customer(contact: Contact, user: User, customer_id: int, form_token: str | None = None) -> None:
    """Open a customer record on the contact, logging which fields were shown (the reveal log)."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.cohort_id != contact.cohort_id:
        raise NotFound("There is no such customer in this cohort's records.")
    with write_transaction():
        locked = lock_live_contact(contact)
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
