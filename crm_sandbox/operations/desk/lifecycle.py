"""A contact's life on the desk: taken from the queue (opened), worked, then closed with its wrap-up
and sealed. The operations in between are in ``actions``, ``conversation``, ``identity`` and ``notes``."""

from typing import Any

from crm_sandbox import ledger
from crm_sandbox.errors import ServiceError
from crm_sandbox.events import chain
from crm_sandbox.events.registry import CONTACT_CLOSED, CONTACT_OPENED, MESSAGE_RECEIVED
from crm_sandbox.models import Contact, User, utcnow
from crm_sandbox.operations.contact_operation import check_policy, contact_operation
from crm_sandbox.operations.desk import social
from crm_sandbox.operations.desk.calls import is_outbound
from crm_sandbox.operations.desk.notes import outcome_codes
from crm_sandbox.queries.customers import customer_dict
from crm_sandbox.scenarios import caller, neutral


def caller_opening(contact: Contact) -> dict[str, Any]:
    """The caller's first message, recorded when the contact is opened."""
    data: dict[str, Any] = {"text": caller.opening_message(contact.scenario, customer_dict(contact.customer))}
    if contact.channel == "email":
        data["subject"] = neutral.email_subject(contact.scenario)  # never the scenario title
    if social.is_social(contact.scenario):
        data["public"] = True  # the customer's post, visible to everyone
    return data


def open_contact(contact: Contact, user: User) -> None:
    """Take a queued contact: it goes live and ``contact.opened`` is recorded (once), with the
    caller's first message (an outbound call's first words come when it is dialled: ``calls.dial``).

    The contact keeps a copy of the cohort's policy as it is now: a later policy change applies to
    contacts opened after it, and the policy a contact was worked under is part of its evidence.
    """
    with contact_operation(contact, taking=True) as op:
        if op.contact.status != "queued":
            return  # already open (another tab, or a replayed request): nothing to record
        check_policy(op.contact)
        op.contact.status, op.contact.opened_at = "live", utcnow()
        op.contact.policy = dict(op.contact.cohort.policy)
        op.append(CONTACT_OPENED, {}, actor="learner", user=user)
        if not is_outbound(op.contact):  # an outbound call: whoever answers speaks once it is dialled
            op.append(MESSAGE_RECEIVED, caller_opening(op.contact), actor="caller")
        op.refresh_findings()


def close_contact(
    contact: Contact, user: User, outcome: str, resolved: str | bool, form_token: str | None = None
) -> None:
    """Close the contact with its wrap-up (an outcome code and whether it was resolved first time),
    and seal its log: a signed head up to here, so a later truncation is detected."""
    if outcome not in outcome_codes():
        raise ServiceError("Choose an outcome code for the wrap-up.")
    if resolved not in (True, False, "yes", "no"):
        raise ServiceError("Say whether the contact was resolved at first contact.")
    with contact_operation(contact, form_token) as op:
        op.contact.status, op.contact.closed_at = "closed", utcnow()
        closed = op.append(
            CONTACT_CLOSED, {"outcome": outcome, "resolved": resolved in (True, "yes")}, actor="learner", user=user
        )
        chain.seal(op.contact, [closed])
        op.refresh_findings()
        ledger.checkpoint_at_commit(f"contact {op.contact.id} closed")
