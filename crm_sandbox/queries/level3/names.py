"""Every name and personal detail known to a contact, for removal from what a reviewer reads: the
customer's record and the details given on the contact, the records of namesakes and of any other
customer opened on it, the caller the scenario plays (a spouse, an attorney), the agent, and the
cohort's other people and the centre's staff."""

from sqlalchemy import or_, select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, User
from crm_sandbox.queries.customers import customer_dict
from crm_sandbox.queries.level3.redact import secrets_of
from crm_sandbox.scenarios.caller import caller_name

Secret = tuple[str, str]


def name_parts(user: User) -> list[str]:
    """Each capitalised part of a user's display name a person could be called by ("Priya", "Raman")."""
    return [p for p in user.display_name.split() if len(p) > 2 and p[0].isupper()]


def person_names(user: User) -> list[str]:
    """A user's username, display name, and each part of it."""
    return [user.username, user.display_name, *name_parts(user)]


def scenario_names(scenario: dict) -> list[str]:
    """Names a scenario gives people other than the customer (a spouse, an attorney): its ``*_name`` facts."""
    facts = {**(scenario.get("facts") or {}), **((scenario.get("caller") or {}).get("facts") or {})}
    return [str(v) for k, v in facts.items() if str(k).endswith("name") and isinstance(v, str)]


def _other_customers(contact: Contact, events: list[dict]) -> list[Customer]:
    """Customers opened on the contact other than its own, and its customer's namesakes (same names)."""
    viewed = {
        int(e["data"]["customer_id"])
        for e in events
        if e.get("type") == "customer.viewed" and str((e.get("data") or {}).get("customer_id", "")).isdigit()
    }
    own = contact.customer
    found = db.session.execute(
        select(Customer).where(
            Customer.id != own.id, or_(Customer.id.in_(viewed), Customer.learner_id == contact.learner_id)
        )
    ).scalars()
    names = (own.first_name, own.last_name)
    return [c for c in found if c.id in viewed or (c.first_name, c.last_name) == names]


def _people(contact: Contact) -> list[User]:
    """The cohort's other learners and every member of staff, who could be named on the contact."""
    return list(
        db.session.execute(
            select(User).where(
                User.id != contact.learner_id, or_(User.cohort_id == contact.cohort_id, User.role != "learner")
            )
        ).scalars()
    )


def contact_secrets(contact: Contact, doc: dict) -> tuple[list[Secret], set[str]]:
    """(value, label) pairs to remove from ``doc`` (the contact's export), longest first; and the values to
    match in their own case only (the parts of people's display names, which can be ordinary words)."""
    events = doc.get("events") or []
    customer = dict(doc.get("customer") or {})
    pairs = secrets_of(customer, person_names(contact.learner), events)
    for other in _other_customers(contact, events):
        pairs += secrets_of(customer_dict(other), [])
    people = [caller_name(contact.scenario, customer), *scenario_names(contact.scenario)]
    pairs += [(n, "[name]") for n in people if n]
    any_case = {value.casefold() for value, _ in pairs}  # the customers' and the caller's: in any case
    staff = _people(contact)
    pairs += [(n, "[name]" if u.role == "learner" else "[staff]") for u in staff for n in person_names(u)]
    parts = {p for u in [contact.learner, *staff] for p in name_parts(u) if p.casefold() not in any_case}
    return sorted({p for p in pairs if len(p[0]) > 1}, key=lambda p: (-len(p[0]), p)), parts
