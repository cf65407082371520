"""Plain-language error pages: never a bare 500, never a stack trace."""
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from crm_sandbox.services.errors import ServiceError

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your account cannot open this page."),
    404: ("Not found", "There is nothing at this address. It may have been removed, or the link is wrong."),
    405: ("Not allowed", "That action cannot be done from here."),
    409: ("Already done", "That action no longer applies. Reload the page to see the current state."),
    413: ("Too large", "What you sent is too large."),
    500: ("Something went wrong", "The sandbox hit an unexpected error. Nothing was recorded. Try again."),
}


def render_error(status: int, message: str | None = None):
    title, default = MESSAGES.get(status, MESSAGES[500])
    return render_template("error.html", title=title, message=message or default, status=status), status


def register(app: Flask) -> None:
    for status in MESSAGES:
        app.register_error_handler(status, lambda err, s=status: render_error(s))

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render_error(400, "This form has expired or was not sent from the sandbox "
                                 "(missing security token). Reload the page and try again.")

    @app.errorhandler(ServiceError)
    def service_error(err):
        app.logger.info("refused %s %s: %s", request.method, request.path, type(err).__name__)
        return render_error(err.status, str(err))
