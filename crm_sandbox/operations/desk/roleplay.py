"""An assessor playing the caller on a live contact, in place of the scripted caller."""

from typing import Any

from crm_sandbox.errors import Conflict
from crm_sandbox.events.registry import MESSAGE_RECEIVED
from crm_sandbox.models import Contact, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk.caller_replies import cancel_pending_reply
from crm_sandbox.operations.desk.conversation import MAX_MESSAGE_LENGTH, check_text
from crm_sandbox.scenarios import neutral


def take_caller(contact: Contact, assessor: User) -> None:
    """The assessor now types the caller's side; the scripted caller falls silent (a reply it was still
    typing is cancelled, as an event)."""
    with contact_operation(contact) as op:
        if op.contact.role_player_id not in (None, assessor.id):
            raise Conflict("Another assessor is already playing the caller on this contact.")
        op.contact.role_player_id = assessor.id
        cancel_pending_reply(op)
        op.refresh_findings()


def hand_back_caller(contact: Contact, assessor: User) -> None:
    """Give the caller back to the script."""
    with contact_operation(contact, allow_closed=True) as op:
        if op.contact.role_player_id == assessor.id:
            op.contact.role_player_id = None


def send_as_caller(contact: Contact, assessor: User, text: str, form_token: str | None = None) -> None:
    """A caller message typed by the role-playing assessor (recorded as the caller's, with who typed it)."""
    text = check_text(text, "caller's message", MAX_MESSAGE_LENGTH)
    with contact_operation(contact, form_token, repeated=None) as op:
        if op.contact.role_player_id != assessor.id:
            raise Conflict("Take over the caller before sending messages as the caller.")
        if op.repeat:
            raise Conflict("That message was already sent.")
        data: dict[str, Any] = {"text": text, "played_by": assessor.username}
        if op.contact.channel == "email":
            data["subject"] = f"Re: {neutral.email_subject(op.contact.scenario)}"
        op.append(MESSAGE_RECEIVED, data, actor="caller", user=assessor)
        op.refresh_findings()
