"""Cohorts: creating, opening and closing them, and editing their policy.

A cohort's policy is copied into each contact when the contact is opened (``open_contact``), so a
change applies to contacts opened after it; a contact keeps the policy it was worked under.
"""
from flask import current_app
from sqlalchemy import func, select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Customer, User
from crm_sandbox.policy import IDV_FACTORS, load_policy, validate_policy
from crm_sandbox.services.errors import Conflict, NotFound, ServiceError

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
        cohort = Cohort(name=name, status="open", policy=load_policy(config["SEED_DIR"]))
        db.session.add(cohort)
        db.session.flush()
        seed_customers(cohort, config["DEMO_SEED"] if seed is None else seed,
                       customers or config["DEMO_CUSTOMERS"])
    return cohort


def set_status(cohort_id: int, status: str) -> Cohort:
    """Open or close a cohort (a closed cohort is kept, with its evidence, until it is reset)."""
    if status not in STATUSES:
        raise ServiceError("A cohort is either open or closed.")
    with write_transaction():
        cohort = get_cohort(cohort_id)
        cohort.status = status
    return cohort


def policy_from_form(form, current: dict) -> dict:
    """A policy dict from the trainer's form (a MultiDict), keeping settings the form does not edit."""
    def number(key: str, kind=int):
        raw = (form.get(key) or "").strip()
        try:
            return kind(raw)
        except ValueError:
            return raw  # validate_policy names the setting
    policy = dict(current)
    policy.update({
        "idv_factors": [f for f in IDV_FACTORS if f in form.getlist("idv_factors")],
        "idv_required": number("idv_required"),
        "lockout_attempts": number("lockout_attempts"),
        "authority_limit": number("authority_limit", float),
        "late_log_minutes": number("late_log_minutes"),
        "panel_mode": form.get("panel_mode"),
        "practice_mode": form.get("practice_mode") in ("on", "true", "1", "yes"),
    })
    return policy


def update_policy(cohort_id: int, policy: dict) -> Cohort:
    """Replace the cohort's policy after validation; contacts opened from now on use it."""
    errors = validate_policy(policy)
    if errors:
        raise ServiceError("The policy was not changed: " + "; ".join(errors) + ".")
    with write_transaction():
        cohort = get_cohort(cohort_id)
        cohort.policy = dict(policy)
    return cohort


def cohort_counts() -> dict[int, dict[str, int]]:
    """Per cohort id: learners, assessors, customers, contacts (queued/live/closed)."""
    counts: dict[int, dict[str, int]] = {}
    for cid, role, n in db.session.execute(
            select(User.cohort_id, User.role, func.count(User.id)).group_by(User.cohort_id, User.role)):
        counts.setdefault(cid, {})[role] = n
    for cid, n in db.session.execute(select(Customer.cohort_id, func.count(Customer.id)).group_by(Customer.cohort_id)):
        counts.setdefault(cid, {})["customers"] = n
    for cid, status, n in db.session.execute(
            select(Contact.cohort_id, Contact.status, func.count(Contact.id)).group_by(Contact.cohort_id, Contact.status)):
        counts.setdefault(cid, {})[status] = n
    return counts
