"""Plain-language error pages: never a bare 500, never a stack trace."""

from collections.abc import Iterable

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError

from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.views.helpers import wants_json

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your account cannot open this page."),
    404: ("Not found", "There is nothing at this address. It may have been removed, or the link is wrong."),
    405: ("Not allowed", "That action cannot be done from here."),
    409: ("Already done", "That action no longer applies. Reload the page to see the current state."),
    413: ("Too large", "What you sent is too large: nothing was saved. (A users CSV is at most 4 MB.)"),
    500: ("Something went wrong", "The sandbox hit an unexpected error. Nothing was recorded. Try again."),
    503: ("Try again", "The database is busy: nothing was saved. Try again in a moment."),
}
DATABASE_BUSY = "The database is busy: nothing was saved. Try again in a moment."
DATABASE_FULL = "The database is full: nothing was saved. Try again later, and tell your trainer if it keeps happening."


def database_problem(err: OperationalError) -> str | None:
    """The plain message for a database that is locked or out of space; None for any other fault."""
    text = str(getattr(err, "orig", None) or err).lower()
    if "locked" in text or "busy" in text:
        return DATABASE_BUSY
    if "full" in text or "disk i/o" in text:
        return DATABASE_FULL
    return None


def render_error(status: int, message: str | None = None, title: str | None = None) -> tuple[str, int]:
    heading, default = MESSAGES.get(status, MESSAGES[500])
    title = title or heading
    return render_template("error.html", title=title, message=message or default, status=status), status


def refuse(status: int, message: str) -> ResponseReturnValue:
    """The error as JSON for the page's script, else as the error page."""
    return (jsonify(ok=False, error=message), status) if wants_json() else render_error(status, message)


def holds_nul(values: Iterable[object]) -> bool:
    return any(isinstance(v, str) and "\x00" in v for v in values)


def register(app: Flask) -> None:
    for status in MESSAGES:
        app.register_error_handler(status, lambda err, s=status: render_error(s))

    @app.before_request
    def refuse_nul_characters() -> ResponseReturnValue | None:
        # PostgreSQL cannot store a NUL character in text (SQLite can): refuse it on every database alike.
        if (
            holds_nul(request.args.values())
            or holds_nul((request.view_args or {}).values())
            or (
                request.method != "GET"
                and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
                and holds_nul(v for _, v in request.form.items(multi=True))
            )
        ):
            message = "What you sent holds a character that cannot be stored (a NUL byte). Nothing was saved."
            return refuse(400, message)
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> ResponseReturnValue:
        return refuse(
            400,
            "This form has expired or was not sent from the sandbox "
            "(missing security token). Reload the page and try again.",
        )

    @app.errorhandler(OperationalError)
    def database_error(err: OperationalError) -> ResponseReturnValue:
        # The write failed before its commit: undo whatever the session holds, so nothing is half-written.
        db.session.rollback()
        message = database_problem(err)
        # Only the driver's message: the statement and its parameters may hold personal data.
        app.logger.warning(
            "database error on %s %s: %s",
            request.method,
            request.path,
            str(getattr(err, "orig", "")) or type(err).__name__,
        )
        if message is None:
            status, message = 500, MESSAGES[500][1]
        else:
            status = 503
        return refuse(status, message)

    @app.errorhandler(DataError)
    def data_error(err: DataError) -> ResponseReturnValue:
        # PostgreSQL refuses what SQLite stores as given (text longer than its column, say): nothing
        # was written, and the input is what was wrong.
        db.session.rollback()
        app.logger.info("refused %s %s: %s", request.method, request.path, type(getattr(err, "orig", err)).__name__)
        message = "What you sent cannot be stored (too long, or not valid). Nothing was saved."
        return refuse(400, message)

    @app.errorhandler(ServiceError)
    def service_error(err: ServiceError) -> ResponseReturnValue:
        app.logger.info("refused %s %s: %s", request.method, request.path, type(err).__name__)
        return render_error(err.status, str(err), err.title)
