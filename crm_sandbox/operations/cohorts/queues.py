"""Building learners' queues of contacts from scenarios.

Every contact gets a customer of its own, generated when it is queued to fit the scenario's customer
profile (``customer:`` in the scenario file: age band, product, balance, transactions) and owned by the
learner: no two learners ever work the same customer, and nothing one learner does to a record can
change what another sees. Scenarios that set ``customer.namesake`` also get a second record with the
same name (another person) in the learner's world, which a careless search can open.
"""

from datetime import date

from flask import current_app
from sqlalchemy import func, select

from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.formatting import MODES
from crm_sandbox.models import Contact, User, utcnow
from crm_sandbox.scenarios import load_library
from crm_sandbox.seeding import key_seed, profiled_customer, store_owned_customers


def new_customer_for(learner: User, scenario: dict, nth: int, today: date) -> int:
    """Generate the customer of ``learner``'s ``nth`` contact (0 first) of ``scenario``, and its namesake
    when the profile asks for one, in ``learner``'s world; the caller's customer's id.

    Deterministic for the cohort's seed, the learner's username, the scenario and ``today``.
    """
    cohort = learner.cohort
    if cohort is None:
        raise ServiceError(f"{learner.username} is not in a cohort.")
    profile = scenario.get("customer") or {}
    key = f"{cohort.seed}:{learner.username}:{scenario['id']}:{nth}"
    callers = profiled_customer(key, profile, today)
    generated = [callers]
    if profile.get("namesake"):
        namesake = profiled_customer(f"{key}:namesake", profile, today, like=callers[0])
        # Either may come first (ids and references give nothing away).
        generated = [namesake, callers] if key_seed(key) % 2 else [callers, namesake]
    ids = store_owned_customers(cohort.id, learner.id, generated)
    return ids[generated.index(callers)]


def add_contact(learner: User, scenario: dict, *, mode: str = "practice", assessor_id: int | None = None) -> Contact:
    """Queue one contact made from ``scenario`` for ``learner``, with a new customer of its own (the
    caller commits).

    ``mode``: "practice" or "assessment" (observed by ``assessor_id``), fixed here for good: nothing changes a
    contact's mode afterwards (to change it, the trainer assigns the scenario again in the other mode)."""
    if mode not in MODES:
        raise ServiceError("Choose practice or observed assessment.")
    cohort = learner.cohort
    if cohort is None:
        raise ServiceError(f"{learner.username} is not in a cohort.")
    last, same = db.session.execute(
        select(
            func.max(Contact.position),
            func.count(Contact.id).filter(Contact.scenario_id == scenario["id"]),
        ).where(Contact.learner_id == learner.id)
    ).one()
    now = utcnow()
    contact = Contact(
        cohort_id=cohort.id,
        learner_id=learner.id,
        scenario_id=scenario["id"],
        channel=scenario["channel"],
        status="queued",
        position=(last or 0) + 1,
        customer_id=new_customer_for(learner, scenario, same or 0, now.date()),
        scenario=scenario,
        policy=dict(cohort.policy),
        created_at=now,
        mode=mode,
        assessor_id=assessor_id,
    )
    db.session.add(contact)
    return contact


def build_queue(learner: User, scenario_ids: list[str] | None = None) -> list[Contact]:
    """Queue a contact for each valid scenario (all of them, in library order, by default)."""
    library = {f.id: f for f in load_library(current_app.config["SEED_DIR"])}
    ids = scenario_ids or [f.id for f in library.values() if f.valid]
    contacts = []
    for sid in ids:
        entry = library.get(sid)
        if entry is None or not entry.valid or entry.scenario is None:
            raise ServiceError(f"Scenario '{sid}' is missing or invalid.")
        contacts.append(add_contact(learner, entry.scenario, mode="practice"))
        db.session.flush()  # the next contact's position reads this one
    return contacts
