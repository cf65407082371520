"""Messages between the learner and the caller; the scripted caller's replies are decided in caller_replies.py."""

from typing import Any

from flask import current_app

from crm_sandbox.content.knowledge import get_article
from crm_sandbox.content.responses import get_response
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.events.registry import KB_VIEWED, MESSAGE_SENT
from crm_sandbox.models import Contact, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk import caller_replies, calls, social
from crm_sandbox.scenarios import neutral

MAX_MESSAGE_LENGTH = 4000
MAX_SUBJECT_LENGTH = 200


def check_text(text: str, what: str, limit: int) -> str:
    """Trimmed text, or a ServiceError when it is empty or too long."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ServiceError(f"The {what} is empty: type something first.")
    if len(text) > limit:
        raise ServiceError(f"The {what} is too long ({len(text):,} characters): keep it to {limit:,} at most.")
    return text


def check_line_open(contact: Contact) -> None:
    """Refuse a message on a call nobody is on: an outbound call not yet dialled, or a call ended."""
    events = calls.call_events(contact)
    if calls.is_outbound(contact) and not calls.is_connected(events, contact.customer_id):
        raise ServiceError("The call is not connected: dial the customer from their record first.")
    if calls.is_ended(events):
        raise ServiceError("You have ended this call: write your notes and close the contact.")


def send_message(
    contact: Contact,
    user: User,
    text: str,
    *,
    template_id: str | None = None,
    subject: str | None = None,
    public: bool = False,
    form_token: str | None = None,
) -> None:
    """Record the learner's message and, unless a person plays the caller, the scripted reply.

    ``public``: a reply to a social-media post, visible to everyone (only on a contact that began with one).
    """
    text = check_text(text, "public reply" if public else "message", MAX_MESSAGE_LENGTH)
    if contact.channel == "phone":
        check_line_open(contact)
    data: dict[str, Any] = {"text": text}
    if public:
        data["public"] = True
        social.check_public_reply(contact, text)
    if template_id:
        if get_response(current_app.config["SEED_DIR"], template_id) is None:
            raise ServiceError("That canned response does not exist.")
        data["template_id"] = template_id
    if contact.channel == "email":
        data["subject"] = (subject or "").strip()[
            :MAX_SUBJECT_LENGTH
        ] or f"Re: {neutral.email_subject(contact.scenario)}"
    with contact_operation(contact, form_token, repeated="That message was already sent.") as op:
        sent = op.append(MESSAGE_SENT, data, actor="learner", user=user)
        if op.contact.role_player_id is None:  # else the assessor playing the caller answers
            caller_replies.record_mood(op, sent)
            caller_replies.decide_reply(op, sent, data.get("subject"))
        op.refresh_findings()


def view_article(contact: Contact, user: User, slug: str, form_token: str | None = None) -> None:
    """Record that the learner read a knowledge-base article on this contact."""
    article = get_article(current_app.config["SEED_DIR"], slug)
    if article is None:
        raise NotFound("There is no such knowledge-base article.")
    with contact_operation(contact, form_token, allow_closed=True, repeated=None) as op:
        if op.repeat:
            return  # the same link followed twice: recorded once
        op.append(KB_VIEWED, {"article": slug, "title": article.title}, actor="learner", user=user)
        op.refresh_findings()
