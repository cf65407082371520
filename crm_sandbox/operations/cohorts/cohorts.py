"""Cohorts: creating, opening and closing them, and editing their policy.

A cohort's policy is copied into each contact when the contact is opened (``open_contact``), so a
change applies to contacts opened after it; a contact keeps the policy it was worked under.
"""

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from crm_sandbox.content.criteria import load_qualifications
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Customer, User
from crm_sandbox.policy import load_policy, read_form, validate_policy

STATUSES = ("open", "closed")


def get_cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("There is no such cohort.")
    return cohort


def cohort_by_name(name: str) -> Cohort:
    cohort = db.session.execute(select(Cohort).where(Cohort.name == name)).scalar_one_or_none()
    if cohort is None:
        raise NotFound(f"There is no cohort called {name!r}.")
    return cohort


def create_cohort(name: str, seed: int | None = None, customers: int | None = None) -> Cohort:
    """A new open cohort with the default policy and its own world of customers."""
    from crm_sandbox.seeding import seed_customers

    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise ServiceError("A cohort name is 1–80 characters.")
    config = current_app.config
    with write_transaction():
        if db.session.execute(select(Cohort.id).where(Cohort.name == name)).first():
            raise Conflict(f"There is already a cohort called {name!r}.")
        try:
            policy = load_policy(config["SEED_DIR"])
        except ValueError as err:
            raise ServiceError(f"No cohort was created: the default policy, {err}") from None
        cohort = Cohort(name=name, status="open", policy=policy)
        db.session.add(cohort)
        db.session.flush()
        seed_customers(cohort, config["DEMO_SEED"] if seed is None else seed, customers or config["DEMO_CUSTOMERS"])
    return cohort


def set_status(cohort_id: int, status: str) -> Cohort:
    """Open or close a cohort (a closed cohort is kept, with its evidence, until it is reset)."""
    if status not in STATUSES:
        raise ServiceError("A cohort is either open or closed.")
    with write_transaction():
        cohort = get_cohort(cohort_id)
        cohort.status = status
    return cohort


class PolicyRefused(ServiceError):
    """The trainer's policy was not saved; ``problems`` says why, per setting, for the form."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("The policy was not changed: " + "; ".join(problems.values()))
        self.problems = problems


def update_policy(cohort_id: int, form: MultiDict[str, str]) -> Cohort:
    """Replace the cohort's policy with the one the trainer's form (a MultiDict) describes, read and
    checked strictly (``policy.read_form``); contacts opened from now on use it."""
    cohort = get_cohort(cohort_id)
    policy, problems = read_form(form, cohort.policy)
    if problems:
        raise PolicyRefused(problems)
    with write_transaction():
        cohort = get_cohort(cohort_id)
        cohort.policy = policy
    return cohort


def policy_health(cohorts: Iterable[Cohort]) -> dict[int, list[str]]:
    """Per cohort id, the problems with its stored policy (only cohorts that have any)."""
    return {c.id: problems for c in cohorts if (problems := validate_policy(c.policy))}


def cohort_counts() -> dict[int | None, dict[str, int]]:
    """Per cohort id: learners, assessors, customers, contacts (queued/live/closed); under None, the
    accounts of no cohort."""
    counts: dict[int | None, dict[str, int]] = {}
    for cid, role, n in db.session.execute(
        select(User.cohort_id, User.role, func.count(User.id)).group_by(User.cohort_id, User.role)
    ):
        counts.setdefault(cid, {})[role] = n
    for cid, n in db.session.execute(select(Customer.cohort_id, func.count(Customer.id)).group_by(Customer.cohort_id)):
        counts.setdefault(cid, {})["customers"] = n
    for cid, status, n in db.session.execute(
        select(Contact.cohort_id, Contact.status, func.count(Contact.id)).group_by(Contact.cohort_id, Contact.status)
    ):
        counts.setdefault(cid, {})[status] = n
    return counts


def known_qualification(wanted: str) -> str:
    """The id of the qualification ``wanted`` names (its id or its exact title, any case); ServiceError
    with the choices otherwise."""
    quals = load_qualifications(current_app.config["SEED_DIR"])
    text = " ".join((wanted or "").split()).lower()
    for q in quals.all:
        if text in (q.id.lower(), q.title.lower()):
            return q.id
    shown = repr(wanted[:60]) if wanted and wanted.strip() else "nothing"
    raise ServiceError(f"Choose a qualification from the list (got {shown}).")


def set_qualification(cohort_id: int, qualification: str) -> Cohort:
    """Register the cohort's learners on ``qualification`` (except learners registered on their own):
    reviews show its criteria from now on; judgements already made are kept."""
    qid = known_qualification(qualification)
    with write_transaction():
        cohort = get_cohort(cohort_id)
        cohort.qualification = qid
    return cohort
