"""Session export ``crm-sandbox/session@1``: one contact as the document the rules engine reads.

See docs/session-format.md. The app's own events carry a little more than the format's vocabulary;
the export keeps the vocabulary's keys and leaves the extras in place (readers ignore them).
"""

from crm_sandbox.compliance import FORMAT
from crm_sandbox.compliance.document import CUSTOMER_FIELDS
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.chain import signed_head
from crm_sandbox.events.registry import CUSTOMER_VIEWED, session_data
from crm_sandbox.formatting import iso
from crm_sandbox.models import Contact, Event
from crm_sandbox.queries.customers import customer_dict

POLICY_KEYS = ("idv_factors", "idv_required", "lockout_attempts", "late_log_minutes", "authority_limit")


def export_event(event: Event, refs: dict[int, str]) -> dict:
    """One event as the document carries it: its data mapped by the event registry (records by reference)."""
    data = session_data(event.type, event.data, refs)
    return {"seq": event.seq, "at": iso(event.at), "actor": event.actor, "type": event.type, "data": data}


def signed_session_document(contact: Contact) -> dict:
    """The export with its chain head signed now (what ``export-session`` and evidence packs write)."""
    events = contact_events(contact.id)
    return {**session_document(contact, events), "chain": signed_head(contact, events)}


# Always in an evidence pack: how the caller is named, on every search result and record view.
NAMING_FIELDS = ("full_name", "first_name", "last_name", "town")


def disclosed_customer_fields(contact: Contact, events: list[Event]) -> list[str]:
    """The customer fields the learner was shown on this contact: the names (on every search result and
    record view) and what a ``customer.viewed`` event of the contact's customer revealed. Never the memorable
    word (the desk never shows it; ID&V asks for two of its characters)."""
    revealed = set(NAMING_FIELDS)
    for e in events:
        if e.type == CUSTOMER_VIEWED and e.data.get("customer_id") == contact.customer_id:
            revealed.update(f for f in e.data.get("fields", []) if isinstance(f, str))
    revealed.discard("memorable_word")
    return [k for k in CUSTOMER_FIELDS if k in revealed]


def pack_session_document(contact: Contact, events: list[Event]) -> dict:
    """The export as an evidence pack carries it: the chain head signed now, and the customer record cut to
    what the learner was shown on the contact. The stored secrets behind ID&V (the memorable word, account
    data never revealed on the contact) are left out and named in ``withheld``: the findings the rules made
    from them, with the assessor's decisions, are the evidence (see docs/security.md)."""
    doc = session_document(contact, events)
    shown = disclosed_customer_fields(contact, events)
    doc["customer"] = {"id": doc["customer"]["id"], **{k: doc["customer"][k] for k in shown}}
    doc["withheld"] = {
        "customer": [k for k in CUSTOMER_FIELDS if k not in shown],
        "why": "not shown to the learner on this contact (ID&V secrets and account data): left out of the pack",
    }
    doc["chain"] = signed_head(contact, events)
    return doc


def session_document(contact: Contact, events: list[Event] | None = None) -> dict:
    """The export of ``contact`` (its events, or ``events`` when given, e.g. while being recorded)."""
    events = contact_events(contact.id) if events is None else events
    refs = {contact.customer_id: contact.customer.ref}
    return {**session_header(contact), "events": [export_event(e, refs) for e in events]}


def session_header(contact: Contact) -> dict:
    """The export of ``contact`` without its events."""
    return {
        "format": FORMAT,
        "contact": {
            "id": f"c-{contact.id}",
            "channel": contact.channel,
            "learner": contact.learner.username,
            "status": contact.status,
            "mode": contact.mode,  # practice | assessment, fixed when assigned (the rules do not read it)
        },
        **session_setting(contact),
    }


def session_setting(contact: Contact) -> dict:
    """What the rules read of the contact besides its events: its scenario, policy, caller and customer."""
    scenario, caller = contact.scenario, contact.scenario.get("caller", {})
    customer = customer_dict(contact.customer)
    return {
        "scenario": {
            "id": scenario.get("id", contact.scenario_id),
            "title": scenario.get("title", ""),
            "purpose": scenario.get("purpose", ""),
            "needed_data": scenario.get("needed_data", []),
            "requires_escalation": bool(scenario.get("requires_escalation")),
        },
        "policy": {key: contact.policy[key] for key in POLICY_KEYS if key in contact.policy},
        "caller": {
            "relationship": caller.get("relationship", "account_holder"),
            "authorised": bool(caller.get("authorised", caller.get("relationship") == "account_holder")),
        },
        "customer": {"id": contact.customer.ref, **{k: customer[k] for k in CUSTOMER_FIELDS}},
    }
