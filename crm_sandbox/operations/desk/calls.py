"""Phone calls the adviser starts or ends: an outbound call dialled from the record, and a call ended by
the adviser (an abusive caller, after a warning; ``ended-without-warning`` checks the order)."""

from collections.abc import Iterable

import phonenumbers

from crm_sandbox.errors import ServiceError
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import CALL_DIALLED, CALL_ENDED, MESSAGE_RECEIVED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, Event, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk import caller_replies
from crm_sandbox.queries import customers as customer_service
from crm_sandbox.scenarios import caller

END_REASONS = {"abusive": "Abusive or threatening caller", "silent": "Silent line", "other": "Other reason"}
NOT_ON_RECORD = (
    "That number is not on the customer's record. Outbound calls go only to a number the record holds: "
    "dial it from the record, or check the record first."
)
ENDED_BY_ADVISER = "the adviser ended the call"
WRONG_NUMBER = "Sorry, I think you've got the wrong number. There's nobody here by that name."


def is_outbound(contact: Contact) -> bool:
    """Whether the contact is a call the adviser makes (the scenario's ``direction: outbound``)."""
    return contact.scenario.get("direction") == "outbound"


def is_connected(events: Iterable[Event], customer_id: int) -> bool:
    """Whether ``events`` hold a dial of the customer's own record (a wrong record's number reaches a
    stranger, who hangs up)."""
    return any(e.type == CALL_DIALLED and e.data.get("customer_id") == customer_id for e in events)


def is_ended(events: Iterable[Event]) -> bool:
    return any(e.type == CALL_ENDED for e in events)


def call_events(contact: Contact) -> list[Event]:
    """The contact's dials and ends (one query: not its whole history)."""
    return contact_events(contact.id, CALL_DIALLED, CALL_ENDED)


def connected(contact: Contact) -> bool:
    return is_connected(call_events(contact), contact.customer_id)


def ended(contact: Contact) -> bool:
    return is_ended(call_events(contact))


def _national(value: str) -> str | None:
    """The number in one comparable form, or None when it is not a phone number."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def dial(contact: Contact, user: User, customer_id: int, number: str = "", form_token: str | None = None) -> None:
    """Dial the phone number held on the record ``customer_id`` (a typed ``number`` must be that one).

    Whoever answers speaks first (the scenario's ``caller.opening``); a record that is not the
    customer's reaches a stranger. Nothing is disclosed by dialling: the rules read the call like any other.
    """
    if contact.channel != "phone" or not is_outbound(contact):
        raise ServiceError("This contact is not an outbound call: there is nobody to dial.")
    customer = db.session.get(Customer, customer_id)
    if (
        customer is None
        or customer.cohort_id != contact.cohort_id
        or not customer_service.is_in_world(customer, contact.learner_id)
    ):
        raise ServiceError("Open the customer's record first: outbound calls are dialled from the record.")
    held = _national(customer_service.customer_dict(customer).get("phone") or "")
    typed = (number or "").strip()
    if typed and (len(typed) > 30 or _national(typed) is None or _national(typed) != held):
        raise ServiceError(NOT_ON_RECORD)
    if held is None:
        raise ServiceError("The record holds no phone number to dial.")
    with contact_operation(contact, form_token, repeated="That call was already dialled.") as op:
        if ended(op.contact):
            raise ServiceError("You have ended this call: write your notes and close the contact.")
        if connected(op.contact):
            raise ServiceError("The call is already connected.")
        data = {"customer_id": customer.id, "customer_ref": customer.ref, "field": "phone"}
        op.append(CALL_DIALLED, data, actor="learner", user=user)
        if customer.id == op.contact.customer_id:
            answer = caller.opening_message(op.contact.scenario, customer_service.customer_dict(op.contact.customer))
            op.append(MESSAGE_RECEIVED, {"text": answer}, actor="caller")
        else:
            op.append(MESSAGE_RECEIVED, {"text": WRONG_NUMBER, "ends": True}, actor="caller")
        op.refresh_findings()


def end_call(contact: Contact, user: User, reason: str, form_token: str | None = None) -> None:
    """End the call from the adviser's side: the caller is heard no more; notes and wrap-up stay open."""
    if reason not in END_REASONS:
        raise ServiceError("Choose why you are ending the call.")
    if contact.channel != "phone":
        raise ServiceError("Only a call can be ended this way: close the contact from the wrap-up.")
    with contact_operation(contact, form_token, repeated="The call was already ended.") as op:
        if ended(op.contact):
            raise ServiceError("The call has already ended.")
        if is_outbound(op.contact) and not connected(op.contact):
            raise ServiceError("The call is not connected: there is no call to end. Dial the customer first.")
        caller_replies.cancel_pending_reply(op, ENDED_BY_ADVISER)  # the caller says nothing after the end
        op.append(CALL_ENDED, {"reason": reason}, actor="learner", user=user)
        op.refresh_findings()
