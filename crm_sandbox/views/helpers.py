"""Template helpers: one-time form tokens and display formats."""
import secrets

from flask import Flask

from crm_sandbox.formatting import clock, money, when


def form_token() -> str:
    """A one-time token for a form, so a double-submitted form is recorded once."""
    return secrets.token_urlsafe(16)


def register(app: Flask) -> None:
    app.jinja_env.globals["form_token"] = form_token
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["when"] = when
