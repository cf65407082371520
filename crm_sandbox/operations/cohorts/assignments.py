"""Assignments: the trainer gives scenarios to one learner or a whole cohort, in order.

Each scenario becomes a queued contact at the end of the learner's queue, for practice or for an
observed assessment (with the assessor who observes it), with a customer generated for it in the
learner's private world (``queues.add_contact``): learners added later get theirs the same way. The mode
is fixed when the contact is made: no operation changes it afterwards; a trainer who wants the other mode
assigns the scenario again.
"""

from flask import current_app
from sqlalchemy import select

from crm_sandbox import formatting
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, User
from crm_sandbox.operations.cohorts.queues import add_contact
from crm_sandbox.scenarios import Scenario, load_library

MODES = formatting.MODES  # practice | assessment, with the label every page uses


def assign(
    cohort_id: int,
    scenario_ids: list[str],
    *,
    learner_id: int | None = None,
    mode: str = "practice",
    assessor_id: int | None = None,
) -> list[Contact]:
    """Queue ``scenario_ids`` (in this order) for one learner, or for every active learner of the cohort.

    All or nothing: an unknown or invalid scenario, a learner or assessor outside the cohort, or an
    assessment without an assessor changes nothing.
    """
    if mode not in MODES:
        raise ServiceError("Choose practice or observed assessment.")
    scenarios = chosen_scenarios(scenario_ids)
    with write_transaction():
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None:
            raise NotFound("There is no such cohort.")
        if cohort.status != "open":
            raise ServiceError(f"{cohort.name} is closed: open it before assigning work.")
        assessor = assessment_assessor(cohort, assessor_id) if mode == "assessment" else None
        contacts = []
        for learner in assigned_learners(cohort, learner_id):
            for scenario in scenarios:
                contact = add_contact(  # with a new customer of the learner's own
                    learner, scenario, mode=mode, assessor_id=assessor.id if assessor else None
                )
                db.session.flush()  # the next add_contact reads this position
                contacts.append(contact)
    return contacts


def chosen_scenarios(scenario_ids: list[str]) -> list[Scenario]:
    """The scenarios chosen, in order; refused when none, one twice, or one unknown or disabled."""
    scenario_ids = [s for s in scenario_ids if s]
    if not scenario_ids:
        raise ServiceError("Choose at least one scenario to assign.")
    if len(set(scenario_ids)) != len(scenario_ids):
        raise ServiceError("Each scenario can be chosen once per assignment.")
    library = {f.id: f for f in load_library(current_app.config["SEED_DIR"])}
    scenarios = []
    for sid in scenario_ids:
        if sid not in library:
            raise ServiceError(f"There is no scenario {sid!r}.")
        scenario = library[sid].scenario
        if not library[sid].valid or scenario is None:
            raise ServiceError(f"The scenario {sid!r} is disabled: {library[sid].error}")
        scenarios.append(scenario)
    return scenarios


def assessment_assessor(cohort: Cohort, assessor_id: int | None) -> User:
    """The assessor an observed assessment names: an active assessor of this cohort, or refused."""
    assessor = db.session.get(User, assessor_id) if assessor_id else None
    if assessor is None or assessor.role != "assessor" or assessor.cohort_id != cohort.id or not assessor.active:
        raise ServiceError("An observed assessment needs an active assessor of this cohort.")
    return assessor


def assigned_learners(cohort: Cohort, learner_id: int | None) -> list[User]:
    """The learner named (if active in the cohort), or every active learner of the cohort; refused when none."""
    query = select(User).where(User.cohort_id == cohort.id, User.role == "learner", User.active.is_(True))
    if learner_id is not None:
        query = query.where(User.id == learner_id)
    learners = list(db.session.execute(query.order_by(User.username)).scalars())
    if not learners:
        raise ServiceError(
            "That learner is not an active learner of this cohort."
            if learner_id is not None
            else "This cohort has no active learners yet."
        )
    return learners
