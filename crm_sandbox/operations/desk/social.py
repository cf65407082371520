"""Social-media contacts: the customer's public post opens the contact; the learner may reply publicly
(visible to everyone) or privately (a direct message, the rest of the conversation)."""

import re

from crm_sandbox.errors import ServiceError
from crm_sandbox.models import Contact

MARKUP = re.compile(r"<\s*/?\s*[a-z!][^>]*>", re.I)


def is_social(scenario: dict | None) -> bool:
    """The scenario's contact begins with a public social-media post."""
    return bool((scenario or {}).get("social"))


def check_public_reply(contact: Contact, text: str) -> None:
    """Refuse a public reply that cannot be published: no public post to answer, or markup in it."""
    if not is_social(contact.scenario):
        raise ServiceError("This contact has no public post to reply to: send your message privately.")
    if MARKUP.search(text):
        raise ServiceError(
            "A public reply is published as plain text: remove the HTML tags (such as <script> or <b>) and send it again."
        )
