"""The trainer's records for quality assurance: IQA and EQA accounts (an EQA's with an expiry date), and
each assessor's standing (qualified, with the date of their assessor qualification, or trainee)."""

from datetime import date, datetime, time, timezone

from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import AccountStanding, Cohort, User, utcnow
from crm_sandbox.models.user import ASSESSOR_STATUSES
from crm_sandbox.operations.cohorts import credentials
from crm_sandbox.operations.cohorts.accounts import one_time_hash, one_time_password
from crm_sandbox.operations.cohorts.enrolment import Issued, NewAccount, valid_username

QA_ACCOUNT_ROLES = {"iqa": "Internal quality assurer (IQA)", "eqa": "External quality assurer (EQA, read-only)"}


def parse_date(value: str | None, what: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError(f"Give the {what} as a date (for example 2026-12-31).") from None


def create_qa_account(
    username: str,
    display_name: str,
    role: str,
    cohort_id: int | None,
    expires_on: date | None,
    kept_for: int,
) -> Issued:
    """A new IQA or EQA account with a one-time password (shown once). An EQA account needs an expiry date
    (it cannot sign in from the start of that day, UTC); ``cohort_id`` None: every cohort of the centre."""
    username = (username or "").strip().lower()
    if role not in QA_ACCOUNT_ROLES:
        raise ServiceError("Choose IQA or EQA.")
    if not valid_username(username):
        raise ServiceError("A username is 1–80 letters, digits, dots, dashes or underscores.")
    if role == "eqa" and expires_on is None:
        raise ServiceError("An EQA account needs an expiry date.")
    expires_at = datetime.combine(expires_on, time.min, tzinfo=timezone.utc) if expires_on else None
    if expires_at is not None and expires_at <= utcnow():
        raise ServiceError("The expiry date must be after today.")
    display_name = (display_name or "").strip()[:120] or username
    password = one_time_password()
    with write_transaction():
        if db.session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"The username {username!r} is already taken.")
        cohort = db.session.get(Cohort, cohort_id) if cohort_id is not None else None
        if cohort_id is not None and cohort is None:
            raise NotFound("There is no such cohort.")
        user = User(
            username=username,
            display_name=display_name,
            role=role,
            password_hash=one_time_hash(password),
            must_change_password=True,
            cohort=cohort,
        )
        db.session.add(user)
        db.session.flush()
        if expires_at is not None:
            db.session.add(AccountStanding(user_id=user.id, expires_at=expires_at))
        account = NewAccount(username, display_name, role, password)
        batch_id = credentials.keep([account], kept_for, cohort_id)
    return Issued([account], batch_id)


def set_assessor_standing(user_id: int, status: str, qualified_on: date | None) -> User:
    """Record an assessor as qualified (with the date of their assessor qualification) or trainee."""
    if status not in ASSESSOR_STATUSES:
        raise ServiceError("Choose qualified or trainee.")
    if status == "qualified" and qualified_on is None:
        raise ServiceError("Give the date of the assessor qualification.")
    if qualified_on is not None and qualified_on > utcnow().date():
        raise ServiceError("The qualification date cannot be in the future.")
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None or user.role != "assessor":
            raise NotFound("There is no such assessor.")
        standing = db.session.get(AccountStanding, user.id) or AccountStanding(user_id=user.id)
        standing.assessor_status = status
        standing.qualified_on = qualified_on if status == "qualified" else None
        db.session.add(standing)
        db.session.flush()
        db.session.refresh(user)
    return user
