"""Referring a contact onward with a handover note: plain text only, recorded as evidence (the
``handover-oversharing`` rule reads it for data the next team does not need)."""

import re

from crm_sandbox.errors import ServiceError
from crm_sandbox.events.registry import HANDOVER_WRITTEN
from crm_sandbox.models import Contact, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk.conversation import check_text

TEAMS = ("Bereavement team", "Fraud team", "Complaints team", "Data protection team", "Specialist support team")
MAX_HANDOVER_LENGTH = 2000
MARKUP = re.compile(r"<\s*/?\s*[a-z!][^>]*>|javascript\s*:", re.I)


def check_handover(team: str, text: str) -> tuple[str, str]:
    """The team and the note as recorded, or a ServiceError saying what to change."""
    if team not in TEAMS:
        raise ServiceError("Choose the team you are referring the contact to.")
    text = check_text(text, "handover note", MAX_HANDOVER_LENGTH)
    if MARKUP.search(text):
        raise ServiceError(
            "A handover note is plain text: remove the HTML or script (anything in < > brackets) and say it in words."
        )
    return team, text


def write_handover(contact: Contact, user: User, team: str, text: str, form_token: str | None = None) -> None:
    """Refer the contact to ``team`` with a handover note (on a live contact, or just after closing)."""
    team, text = check_handover(team, text)
    with contact_operation(contact, form_token, allow_closed=True, repeated="That handover was already sent.") as op:
        op.append(HANDOVER_WRITTEN, {"team": team, "text": text}, actor="learner", user=user)
        op.refresh_findings()
