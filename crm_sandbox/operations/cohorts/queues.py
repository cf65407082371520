"""Building learners' queues of contacts from scenarios."""

import random

from flask import current_app
from sqlalchemy import func, select

from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.formatting import MODES
from crm_sandbox.models import Contact, Customer, User
from crm_sandbox.scenarios import load_library


def customer_count(cohort_id: int) -> int:
    return db.session.execute(select(func.count(Customer.id)).where(Customer.cohort_id == cohort_id)).scalar_one()


def pick_customer_id(cohort_id: int, seed: int, learner_id: int, scenario_id: str, count: int | None = None) -> int:
    """A customer of the cohort for this learner and scenario, the same every time for a seed.

    ``count``: the cohort's number of customers, when the caller picks many (counted here otherwise).
    """
    count = customer_count(cohort_id) if count is None else count
    if not count:
        raise ServiceError("This cohort has no customers yet: seed its sandbox world first.")
    offset = random.Random(f"{seed}:{learner_id}:{scenario_id}").randrange(count)  # noqa: S311 (reproducible pick)
    return db.session.execute(
        select(Customer.id).where(Customer.cohort_id == cohort_id).order_by(Customer.id).offset(offset).limit(1)
    ).scalar_one()


def add_contact(
    learner: User,
    scenario: dict,
    customers: int | None = None,
    *,
    mode: str = "practice",
    assessor_id: int | None = None,
) -> Contact:
    """Queue one contact made from ``scenario`` for ``learner`` (the caller commits).

    ``customers``: the cohort's number of customers, when the caller adds many contacts. ``mode``:
    "practice" or "assessment" (observed by ``assessor_id``), fixed here for good: nothing changes a
    contact's mode afterwards (to change it, the trainer assigns the scenario again in the other mode).
    """
    if mode not in MODES:
        raise ServiceError("Choose practice or observed assessment.")
    cohort = learner.cohort
    if cohort is None:
        raise ServiceError(f"{learner.username} is not in a cohort.")
    last = db.session.execute(select(func.max(Contact.position)).where(Contact.learner_id == learner.id)).scalar()
    contact = Contact(
        cohort_id=cohort.id,
        learner_id=learner.id,
        scenario_id=scenario["id"],
        channel=scenario["channel"],
        status="queued",
        position=(last or 0) + 1,
        customer_id=pick_customer_id(cohort.id, cohort.seed, learner.id, scenario["id"], customers),
        scenario=scenario,
        policy=dict(cohort.policy),
        mode=mode,
        assessor_id=assessor_id,
    )
    db.session.add(contact)
    return contact


def build_queue(learner: User, scenario_ids: list[str] | None = None) -> list[Contact]:
    """Queue a contact for each valid scenario (all of them, in library order, by default).

    The queue a learner is given when their account is made (``create-user``, a cohort reset, the demo)
    is practice: an observed assessment needs a trainer to assign it with the assessor who observes it
    (``assignments.assign``)."""
    library = {f.id: f for f in load_library(current_app.config["SEED_DIR"])}
    ids = scenario_ids or [f.id for f in library.values() if f.valid]
    contacts = []
    customers = customer_count(learner.cohort.id) if learner.cohort is not None else None
    for sid in ids:
        entry = library.get(sid)
        if entry is None or not entry.valid or entry.scenario is None:
            raise ServiceError(f"Scenario '{sid}' is missing or invalid.")
        contacts.append(add_contact(learner, entry.scenario, customers, mode="practice"))
    return contacts
