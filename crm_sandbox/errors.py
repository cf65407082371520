"""Errors the services raise for the views to show as plain-language messages."""


class ServiceError(Exception):
    """An action the user asked for that cannot be done; ``str(err)`` is shown to them."""

    status = 400
    title: str | None = None  # the error page's heading, when the status's own would mislead


class NotAllowed(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class TooManyAttempts(ServiceError):
    """Password checks for this account or address are paused for the throttle's window."""

    status = 429
    title = "Too many attempts"


class Conflict(ServiceError):
    """The action no longer fits the contact's state (closed, locked, already verified…)."""

    status = 409


class PolicyNeedsFixing(Conflict):
    """The policy a contact would be worked under is not valid: a trainer must fix it."""

    title = "Policy needs fixing"
