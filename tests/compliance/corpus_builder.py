"""Build full ``crm-sandbox/session@1`` documents from short, readable excerpts (tests and corpus).

An excerpt lists events as one-key dicts: ``{in: text}`` (caller), ``{out: text}`` (learner),
``{idv: [factor, given, match]}``, ``{result: true|false}``, ``{note: text}`` (``after_close: minutes``
optional), ``{amend: text}``, ``{update: [field, value]}``, ``{refund: amount}``, ``{view: customer_id}``,
``{search: query}``, ``{escalate: reason}``, ``{complaint: summary}``, ``{kb: article}``, ``{close: true}``,
``{handover: text}`` (``team`` optional), ``{end: reason}`` (the adviser ends the call).
``build_with_index`` also returns, for each excerpt event index, the session ``seq`` it became (for
labels that say where: ``{rule: ID, at: [index, ...]}``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CUSTOMERS = {
    "jane": {
        "id": "cust-0001",
        "full_name": "Jane Smith",
        "first_name": "Jane",
        "last_name": "Smith",
        "date_of_birth": "1985-03-12",
        "address_line1": "14 Acacia Road",
        "address_line2": "",
        "town": "Leeds",
        "postcode": "LS1 4AP",
        "email": "jane.smith42@example.com",
        "phone": "07700 900123",
        "account_number": "12345678",
        "sort_code": "99-12-34",
        "memorable_word": "butterfly",
        "balance": "1284.50",
    },
    "mo": {
        "id": "cust-0002",
        "full_name": "Mohammed Khan",
        "first_name": "Mohammed",
        "last_name": "Khan",
        "date_of_birth": "1979-11-02",
        "address_line1": "7 Mill Lane",
        "address_line2": "Heaton",
        "town": "Bradford",
        "postcode": "BD7 1QT",
        "email": "mohammed.khan7@example.org",
        "phone": "0113 496 0782",
        "account_number": "40318822",
        "sort_code": "99-07-41",
        "memorable_word": "lighthouse",
        "balance": "-215.30",
    },
    "siobhan": {
        "id": "cust-0003",
        "full_name": "Siobhan O'Neill",
        "first_name": "Siobhan",
        "last_name": "O'Neill",
        "date_of_birth": "1992-06-25",
        "address_line1": "221 Kingsway Avenue",
        "address_line2": "Flat 4",
        "town": "Cardiff",
        "postcode": "CF10 3AT",
        "email": "siobhan.oneill@example.net",
        "phone": "020 7946 0315",
        "account_number": "77215609",
        "sort_code": "99-55-10",
        "memorable_word": "marmalade",
        "balance": "3050.00",
    },
    "sarah": {
        "id": "cust-0004",
        "full_name": "Sarah Louise Ellis-Morgan",
        "first_name": "Sarah",
        "last_name": "Ellis-Morgan",
        "date_of_birth": "1988-01-30",
        "address_line1": "9 Bridge Street",
        "address_line2": "",
        "town": "Newport",
        "postcode": "NP20 1FT",
        "email": "sarah.ellismorgan@example.com",
        "phone": "07700 900481",
        "account_number": "61029374",
        "sort_code": "99-30-18",
        "memorable_word": "pineapple",
        "balance": "842.17",
    },
    "daniel": {
        "id": "cust-0005",
        "full_name": "Daniel Okafor",
        "first_name": "Daniel",
        "last_name": "Okafor",
        "date_of_birth": "1990-08-09",
        "address_line1": "27 Oxford Road",
        "address_line2": "",
        "town": "Reading",
        "postcode": "RG1 7LT",
        "email": "d.okafor90@example.org",
        "phone": "0118 496 0555",
        "account_number": "50917733",
        "sort_code": "99-41-26",
        "memorable_word": "sunflower",
        "balance": "2006.00",
    },
}
POLICY = {
    "idv_factors": ["date_of_birth", "postcode", "memorable_word_characters", "account_number_last4"],
    "idv_required": 2,
    "lockout_attempts": 3,
    "late_log_minutes": 10,
    "authority_limit": 50.0,
}
START = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(item: dict) -> dict:
    """A session document from a corpus excerpt (see the module docstring)."""
    return build_with_index(item)[0]


def build_with_index(item: dict) -> tuple[dict, dict[int, int]]:  # noqa: C901 (one branch per excerpt key)
    """A session document from a corpus excerpt, and ``{excerpt event index: session seq}``."""
    customer = dict(CUSTOMERS[item.get("customer", "jane")])
    policy = {**POLICY, **item.get("policy", {})}
    events, at, closed_at = [], START, None

    def add(etype: str, data: dict, actor: str = "learner", when: datetime | None = None) -> None:
        nonlocal at
        at = when or at + timedelta(seconds=30)
        events.append({"seq": len(events) + 1, "at": _iso(at), "actor": actor, "type": etype, "data": data})

    add("contact.opened", {}, "system", START)
    if item.get("view_own", True):
        add("customer.viewed", {"customer_id": customer["id"]})
    index: dict[int, int] = {}
    for i, ev in enumerate(item["events"]):
        index[i] = len(events) + 1
        key = next(iter(ev))
        value = ev[key]
        if key == "in":
            add("message.received", {"text": value}, "caller")
        elif key == "out":
            add("message.sent", {"text": value, **({"template_id": ev["template"]} if "template" in ev else {})})
        elif key == "post":  # a public social-media post by the customer
            add("message.received", {"text": value, "public": True}, "caller")
        elif key == "public":  # the learner's public reply to it
            add("message.sent", {"text": value, "public": True})
        elif key == "screen":  # the caller's screen moved on after the learner's last message
            last = next(e["seq"] for e in reversed(events) if e["type"] == "message.sent")
            add("caller.screen", {"step": value, "shows": value, "message_seq": last}, "caller")
        elif key == "idv":
            factor, given, match = value
            add("idv.answer", {"factor": factor, "given": given, "match": match, "customer_id": customer["id"]})
        elif key == "result":
            add("idv.result", {"passed": value}, "system")
        elif key in ("note", "amend"):
            when = closed_at + timedelta(minutes=ev["after_close"]) if "after_close" in ev else None
            if key == "note":
                add("note.added", {"text": value}, when=when)
            else:
                first = next(e["seq"] for e in events if e["type"] == "note.added")
                add("note.amended", {"note_seq": first, "text": value, "reason": "correction"}, when=when)
        elif key == "update":
            add("record.updated", {"field": value[0], "value": value[1]})
        elif key == "refund":
            add("refund.issued", {"amount": value})
        elif key == "view":
            add("customer.viewed", {"customer_id": value, "fields": ["summary"]})
        elif key == "search":
            add("customer.searched", {"query": value})
        elif key == "escalate":
            add("escalated", {"reason": value})
        elif key == "complaint":
            add("complaint.raised", {"summary": value})
        elif key == "kb":
            add("kb.viewed", {"article": value})
        elif key == "handover":
            add("handover.written", {"team": ev.get("team", "Fraud team"), "text": value})
        elif key == "end":
            add("call.ended", {"reason": value})
        elif key == "close":
            add("contact.closed", {"outcome": "resolved", "resolved": True})
            closed_at = at
        else:
            raise ValueError(f"unknown excerpt event {key!r}")
    document = {
        "format": "crm-sandbox/session@1",
        "contact": {"id": f"c-{item.get('id', 'x')}", "channel": item.get("channel", "chat"), "learner": "learner1"},
        "scenario": {
            "id": item.get("scenario", "general-enquiry"),
            "title": item.get("title", "General enquiry"),
            "purpose": item.get("purpose", "Answer the caller's query"),
            "needed_data": item.get("needed", []),
            "requires_escalation": item.get("escalation", False),
        },
        "policy": policy,
        "caller": {"relationship": item.get("caller", "account_holder"), "authorised": item.get("authorised", True)},
        "customer": customer,
        "events": events,
    }
    return document, index


def verified(dob: str = "12/03/1985", postcode: str = "LS1 4AP") -> list[dict]:
    """Events for a caller who passes ID&V (Jane's answers by default)."""
    return [
        {"out": "Can you confirm your date of birth, please?"},
        {"in": dob},
        {"idv": ["date_of_birth", dob, True]},
        {"out": "Thanks. And your postcode?"},
        {"in": postcode},
        {"idv": ["postcode", postcode, True]},
        {"result": True},
    ]
