"""User accounts: creation and password checks."""
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from crm_sandbox.extensions import db
from crm_sandbox.models import ROLES, Cohort, User
from crm_sandbox.services.errors import Conflict, ServiceError

# Compared against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(username: str, password: str, role: str, *, display_name: str | None = None,
                cohort: Cohort | None = None) -> User:
    """Add a user to the session (the caller commits)."""
    username = username.strip().lower()
    if role not in ROLES:
        raise ServiceError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if not username or len(username) > 80 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ServiceError("A username is 1–80 letters, digits, dots, dashes or underscores.")
    if len(password) < 8:
        raise ServiceError("A password needs at least 8 characters.")
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"The username {username!r} is already taken.")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=hash_password(password), cohort=cohort)
    db.session.add(user)
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (the same way for every kind of failure)."""
    global _DUMMY_HASH
    user = db.session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user
