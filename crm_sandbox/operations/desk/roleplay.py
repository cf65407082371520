"""An assessor playing the caller on a live contact, in place of the scripted caller."""
from crm_sandbox.database import write_transaction
from crm_sandbox.models import Contact, User
from crm_sandbox.operations.desk.contacts import lock_live_contact
from crm_sandbox.operations.desk.conversation import MAX_MESSAGE_LENGTH, check_text
from crm_sandbox.errors import Conflict
from crm_sandbox.events.append import append_event, token_used


def take_caller(contact: Contact, assessor: User) -> None:
    """The assessor now types the caller's side; the scripted caller falls silent."""
    with write_transaction():
        locked = lock_live_contact(contact)
        if locked.role_player_id not in (None, assessor.id):
            raise Conflict("Another assessor is already playing the caller on this contact.")
        locked.role_player_id = assessor.id


def hand_back_caller(contact: Contact, assessor: User) -> None:
    """Give the caller back to the script."""
    with write_transaction():
        locked = lock_live_contact(contact, allow_closed=True)
        if locked.role_player_id == assessor.id:
            locked.role_player_id = None


def send_as_caller(contact: Contact, assessor: User, text: str, form_token: str | None = None) -> None:
    """A caller message typed by the role-playing assessor (recorded as the caller's, with who typed it)."""
    text = check_text(text, "caller's message", MAX_MESSAGE_LENGTH)
    with write_transaction():
        locked = lock_live_contact(contact)
        if locked.role_player_id != assessor.id:
            raise Conflict("Take over the caller before sending messages as the caller.")
        if token_used(locked, form_token):
            raise Conflict("That message was already sent.")
        data = {"text": text, "played_by": assessor.username}
        if locked.channel == "email":
            data["subject"] = f"Re: {locked.scenario.get('caller', {}).get('subject') or locked.title}"
        append_event(locked, "message.received", data, actor="caller", user_id=assessor.id, form_token=form_token)
