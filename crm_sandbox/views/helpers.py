"""Template helpers: one-time form tokens and display formats."""
import secrets

from flask import Flask
from markupsafe import Markup, escape

from crm_sandbox.formatting import clock, money, when


def form_token() -> str:
    """A one-time token for a form, so a double-submitted form is recorded once."""
    return secrets.token_urlsafe(16)


def highlight(text: str, spans: list[str]) -> Markup:
    """``text`` escaped, with every flagged span wrapped in ``<mark>`` (the spans escaped too)."""
    html = str(escape(text))
    for span in sorted({s for s in spans if s}, key=len, reverse=True):
        marked = str(escape(span))
        if marked in html:
            html = html.replace(marked, f'<mark class="flagged">{marked}</mark>')
    return Markup(html)  # noqa: S704 (built only from escape()d text and a fixed <mark> tag)


def register(app: Flask) -> None:
    app.jinja_env.globals["form_token"] = form_token
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["highlight"] = highlight
