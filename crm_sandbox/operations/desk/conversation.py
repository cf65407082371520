"""Messages between the learner and the caller, and the scripted caller's replies."""
from flask import current_app

from crm_sandbox.content.knowledge import get_article
from crm_sandbox.content.responses import get_response
from crm_sandbox.database import write_transaction
from crm_sandbox.models import Contact, Event, User
from crm_sandbox.scenarios import caller
from crm_sandbox.operations.desk.contacts import lock_live_contact
from crm_sandbox.queries.customers import customer_dict
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.events.append import append_event, contact_events, token_used

MAX_MESSAGE_LENGTH = 4000
MAX_SUBJECT_LENGTH = 200


def check_text(text: str, what: str, limit: int) -> str:
    """Trimmed text, or a ServiceError when it is empty or too long."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ServiceError(f"The {what} is empty: type something first.")
    if len(text) > limit:
        raise ServiceError(f"The {what} is too long ({len(text):,} characters): keep it under {limit:,}.")
    return text


def history(events: list[Event]) -> list[dict]:
    """Events as the plain dicts the scripted caller reads."""
    return [{"seq": e.seq, "type": e.type, "actor": e.actor, "data": e.data} for e in events]


def send_message(contact: Contact, user: User, text: str, *, template_id: str | None = None,
                 subject: str | None = None, form_token: str | None = None) -> None:
    """Record the learner's message and, unless a person plays the caller, the scripted reply."""
    text = check_text(text, "message", MAX_MESSAGE_LENGTH)
    data = {"text": text}
    if template_id:
        if get_response(current_app.config["SEED_DIR"], template_id) is None:
            raise ServiceError("That canned response does not exist.")
        data["template_id"] = template_id
    if contact.channel == "email":
        data["subject"] = (subject or "").strip()[:MAX_SUBJECT_LENGTH] or f"Re: {contact.title}"
    with write_transaction():
        locked = lock_live_contact(contact)
        if token_used(locked, form_token):
            raise Conflict("That message was already sent.")
        append_event(locked, "message.sent", data, actor="learner", user_id=user.id, form_token=form_token)
        if locked.role_player_id is None:
            events = contact_events(locked.id)
            reply = caller.reply(locked.scenario, customer_dict(locked.customer), history(events[:-1]), text)
            if reply.text:
                answer = {"text": reply.text}
                if reply.ends:
                    answer["ends"] = True
                if contact.channel == "email":
                    answer["subject"] = f"Re: {data['subject'].removeprefix('Re: ')}"
                append_event(locked, "message.received", answer, actor="caller")


def view_article(contact: Contact, user: User, slug: str, form_token: str | None = None) -> None:
    """Record that the learner read a knowledge-base article on this contact."""
    article = get_article(current_app.config["SEED_DIR"], slug)
    if article is None:
        raise NotFound("There is no such knowledge-base article.")
    with write_transaction():
        locked = lock_live_contact(contact, allow_closed=True)
        if token_used(locked, form_token):
            return
        append_event(locked, "kb.viewed", {"article": slug, "title": article.title}, actor="learner",
                     user_id=user.id, form_token=form_token)
