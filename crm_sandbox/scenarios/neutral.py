"""What a learner may see of a scenario before the contact closes: never its title, id, purpose or
reason (they give the test away), only what a real queue shows: the channel and the customer's own
words. An email's subject line is the customer's unless it names the scenario, then a neutral one.
Assessors and trainers see titles as before; after the contact closes the learner may see it too."""

import re

NEUTRAL_LABELS = {"chat": "Inbound chat", "email": "Email from customer", "phone": "Inbound call"}
NEUTRAL_SUBJECT = "Email from customer"
_REPLY = re.compile(r"^\s*(?:re|fw|fwd)\s*:\s*", re.I)


def neutral_label(channel: str, scenario: dict | None = None) -> str:
    """ "Inbound chat", "Email from customer", "Inbound call" (or "Outbound call": ``direction: outbound``)."""
    if channel == "phone" and (scenario or {}).get("direction") == "outbound":
        return "Outbound call"
    return NEUTRAL_LABELS.get(channel, "Customer contact")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def gives_away(text: str, scenario: dict) -> bool:
    """Whether ``text`` names the scenario: its title, id or purpose (or is part of one of them)."""
    said = _words(text)
    if not said:
        return False
    for known in (scenario.get("title"), scenario.get("purpose"), scenario.get("id", "").replace("-", " ")):
        words = _words(str(known or ""))
        if words and (words in said or said in words):
            return True
    return False


def email_subject(scenario: dict) -> str:
    """The subject line of the customer's first email as the learner sees it."""
    subject = str(scenario.get("caller", {}).get("subject") or "").strip()
    return subject if subject and not gives_away(subject, scenario) else NEUTRAL_SUBJECT


def shown_subject(scenario: dict, subject: str | None) -> str:
    """A recorded subject line as the learner sees it: kept unless it names the scenario (an older
    contact recorded the title as the subject), then the neutral one, keeping "Re: "."""
    subject = (subject or "").strip()
    if not subject:
        return ""
    reply = _REPLY.match(subject)
    rest = subject[reply.end() :] if reply else subject
    if gives_away(rest, scenario):
        return f"Re: {NEUTRAL_SUBJECT}" if reply else NEUTRAL_SUBJECT
    return subject
