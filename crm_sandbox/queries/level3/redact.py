"""What a reviewer sees of a contact: its transcript, with names and personal details removed.

Works on a ``crm-sandbox/session@1`` document (a seeded example's, or a contact's export): every value of
the customer record, the agent's name, and anything that looks like an email address, phone number,
postcode, date, account number or card number is replaced by a label in brackets.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from crm_sandbox.events.registry import body, describe

LABELS = {
    "full_name": "[name]",
    "first_name": "[name]",
    "middle_name": "[name]",
    "last_name": "[name]",
    "date_of_birth": "[date of birth]",
    "address_line1": "[address]",
    "address_line2": "[address]",
    "town": "[town]",
    "postcode": "[postcode]",
    "email": "[email]",
    "phone": "[phone]",
    "account_number": "[account number]",
    "sort_code": "[sort code]",
    "memorable_word": "[memorable word]",
}
STREET = r"Road|Rd|Street|St|Lane|Close|Grove|Avenue|Drive|Way|Row|Court|Place|Crescent|Gardens|Terrace|Hill|Walk|Square|Mews"
PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][\w'-]*\s+){{1,3}}(?:{STREET})\b"), "[address]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I), "[postcode]"),
    (re.compile(r"\b(?:\d[ -]?){13,19}\b"), "[card number]"),
    (re.compile(r"(?:\+44\s?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b"), "[phone]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b\d{2}-\d{2}-\d{2}\b"), "[sort code]"),
    (re.compile(r"\b\d{6,10}\b"), "[number]"),
)


@dataclass(frozen=True)
class Line:
    at: str  # minutes:seconds from the start
    who: str  # "Agent", "Customer", "System"
    what: str
    text: str


def _dob_forms(iso: str) -> list[str]:
    try:
        d = datetime.strptime(iso, "%Y-%m-%d")
    except ValueError:
        return []
    return [d.strftime(f) for f in ("%d/%m/%Y", "%d/%m/%y", "%d %B %Y", "%-d %B %Y", "%d-%m-%Y")]


def secrets_of(customer: dict, agent_names: list[str], events: list | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs to remove, longest first so a full name goes before its parts: the customer
    record's values, the agent's names, and the details given on the contact (a new address, an ID&V answer)."""
    pairs = [(str(v), LABELS[k]) for k, v in customer.items() if k in LABELS and v and len(str(v)) > 1]
    for e in events or []:
        data = e.get("data") or {}
        if e.get("type") == "record.updated" and len(str(data.get("value") or "")) > 1:
            pairs.append((str(data["value"]), LABELS.get(str(data.get("field")), "[detail]")))
        elif e.get("type") == "idv.answer" and len(str(data.get("given") or "")) > 1:
            pairs.append((str(data["given"]), "[answer]"))
    pairs += [(form, "[date of birth]") for form in _dob_forms(str(customer.get("date_of_birth") or ""))]
    pairs += [(n, "[agent]") for n in agent_names if n and len(n) > 1]
    return sorted(pairs, key=lambda p: -len(p[0]))


def scrub(text: str, secrets: list[tuple[str, str]], exact: Collection[str] = ()) -> str:
    """Each secret replaced where it stands as a whole word (never inside a label already put in), in any
    case but those in ``exact`` (a person's first or last name alone, which can be an ordinary word: "Will",
    "Quality"), then anything shaped like one."""
    for value, label in secrets:
        flags = 0 if value in exact else re.I
        text = re.sub(rf"(?<![\w\[]){re.escape(value)}(?![\w\]])", label, text, flags=flags)
    for pattern, label in PATTERNS:
        text = pattern.sub(label, text)
    return text


REVIEWABLE_ACTORS = ("learner", "caller", "system")  # what the agent and the customer did
WHO = {"learner": "Agent", "caller": "Customer", "system": "System", "assessor": "Assessor"}


def transcript(
    doc: dict,
    agent_names: list[str],
    other_names: list[str] | None = None,
    known: list[tuple[str, str]] | None = None,
    exact: Collection[str] = (),
) -> list[Line]:
    """The document's events as lines a reviewer may read: no names, no personal details. ``other_names``:
    names the record does not hold (a third party's, from the scenario); ``known``: further (value, label)
    pairs known to the contact (``names.contact_secrets``); ``exact``: values matched in their own case only."""
    events = doc.get("events") or []
    secrets = secrets_of(dict(doc.get("customer") or {}), agent_names, events) + list(known or [])
    secrets = sorted(secrets + [(n, "[name]") for n in other_names or [] if len(n) > 1], key=lambda p: -len(p[0]))
    start = _time(events[0]["at"]) if events else None
    lines = []
    for e in events:
        if e.get("type") in ("customer.searched", "customer.viewed") or e.get("actor") not in REVIEWABLE_ACTORS:
            continue  # the record's look-ups, and the assessor's, IQA's and countersigner's events (the other
            # learner's assessment, which stays private), are not the agent's contact
        offset = int((_time(e["at"]) - start).total_seconds()) if start else 0
        lines.append(
            Line(
                f"{offset // 60:02d}:{offset % 60:02d}",
                WHO.get(e.get("actor", ""), "System"),
                scrub(describe(e), secrets, exact),
                scrub(body(e), secrets, exact),
            )
        )
    return lines


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
