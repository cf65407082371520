"""Template helpers: one-time form tokens, links for long lists, and display formats."""

import io
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from crm_sandbox.errors import Conflict, NotAllowed, NotFound, ServiceError
from crm_sandbox.events.registry import body, describe
from crm_sandbox.events.registry import label as event_label
from crm_sandbox.formatting import clock, escalation_reference, label, mode_label, money, when
from crm_sandbox.models import Contact
from crm_sandbox.models.review import ASSESSMENT_METHOD, OUTCOMES
from crm_sandbox.operations import disclosure
from crm_sandbox.operations.desk.notes import outcome_codes
from crm_sandbox.policy import IDV_FACTORS
from crm_sandbox.queries import customers, kpis
from crm_sandbox.queries.replay import desk_at
from crm_sandbox.queries.review import ContactReview
from crm_sandbox.reports.records import compare_mode_note


def form_token() -> str:
    """A one-time token for a form, so a double-submitted form is recorded once."""
    return secrets.token_urlsafe(16)


def wants_json() -> bool:
    """Whether the page's script sent the request (``X-Requested-With: fetch``): it gets JSON back."""
    return request.headers.get("X-Requested-With") == "fetch"


def form(name: str) -> str:
    """The posted form field ``name``, "" when absent."""
    return request.form.get(name, "")


@dataclass(frozen=True)
class Refused:
    """A form the server refused: which one, what was typed in it, and why. The page is shown again
    with the typed values in that form, so a mistake never costs the learner what they wrote."""

    form: str = ""
    values: Mapping[str, str] = field(default_factory=dict)
    error: str = ""

    def value(self, form: str, name: str, default: str = "") -> str:
        """What was typed into ``name`` if ``form`` is the refused form, else ``default``."""
        return self.values.get(name, default) if form == self.form else default


MAX_ID = 2**31 - 1  # the largest value of an INTEGER column (PostgreSQL); ids and seqs are INTEGER


def whole_number(text: str) -> int | None:
    """``text`` as a row id or sequence number from a query string or form, or None if it is not one (not
    all digits, or more than a database integer column holds: 2**31 - 1 on PostgreSQL)."""
    return int(text) if text.isdecimal() and len(text) <= 10 and int(text) <= MAX_ID else None


def act(
    action: Callable[[], object],
    back: str,
    done: str | Callable[[Any], str] | None = None,
    results: dict[str, tuple[str, str]] | None = None,
    refused: Callable[[ServiceError], ResponseReturnValue] | None = None,
) -> ResponseReturnValue:
    """Run a service action, then go back to ``back`` with its error, ``results[outcome]`` or ``done``
    (a message, or a function of the action's result that makes one) as a message.

    A request from the page's script gets JSON (``ok``, ``error`` or the next ``next_form_token``)
    instead. A refused form (not a conflict with the contact's state, which needs a fresh page) is
    answered by ``refused(err)`` if given: the page again, with what was typed. NotFound and NotAllowed
    go to the error pages."""
    try:
        result = action()
    except (NotFound, NotAllowed):
        raise
    except ServiceError as err:
        if wants_json():
            return jsonify(ok=False, error=str(err)), err.status
        flash(str(err), "error")
        if refused is not None and not isinstance(err, Conflict):
            return refused(err)
    else:
        if wants_json():
            return jsonify(ok=True, next_form_token=form_token())
        if results and isinstance(result, str) and result in results:
            flash(*results[result])
        elif done:
            flash(done(result) if callable(done) else done, "success")
    return redirect(back, code=303)


_INT_MARKER = 987654321987654321  # a value no id takes, for the int converter
_TEXT_MARKER = "zzlinkmarkerzz"
PATH_SAFE = "!$&'()*+,/:;=@"  # what Werkzeug's converters leave unquoted in a path segment


def link_to(endpoint: str, varying: str, **fixed: Any) -> Callable[[int | str], str]:
    """Links to ``endpoint`` for many values of one argument: ``url_for`` runs once, not once per row.

    ``link_to("learner.read_article", "slug", contact_id=7)("refunds")`` is
    ``url_for("learner.read_article", contact_id=7, slug="refunds")``. Ints go in as they are; text
    is percent-quoted as Werkzeug's converters quote it. Used for the desk's long lists (queue, search
    results, articles), where ``url_for`` per row was a measurable share of the page.
    """
    parts: dict[type, tuple[str, str]] = {}  # (head, tail) around the value, built on first use

    def link(value: int | str) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"link_to takes ids (int) and text (str), not {type(value).__name__}")
        kind = int if isinstance(value, int) else str
        if kind not in parts:
            marker = _INT_MARKER if kind is int else _TEXT_MARKER
            values: dict[str, Any] = {**fixed, varying: marker}
            head, tail = url_for(endpoint, **values).split(str(marker), 1)
            parts[kind] = head, tail
        head, tail = parts[kind]
        return f"{head}{value if isinstance(value, int) else quote(value, safe=PATH_SAFE)}{tail}"

    return link


def highlight(text: str, spans: list[str], css: str = "flagged", tag: str = "mark") -> Markup:
    """``text`` escaped, with every span wrapped in ``<mark class="flagged">`` (the spans escaped too);
    ``tag`` "strong" and ``css`` "reference" emphasise a reference the learner gives the customer."""
    if tag not in ("mark", "strong") or not css.replace("-", "").isalnum():
        raise ValueError(f"highlight takes <mark> or <strong> and a plain class name, not {tag!r}, {css!r}")
    html = str(escape(text))
    for span in sorted({s for s in spans if s}, key=len, reverse=True):
        marked = str(escape(span))
        if marked in html:
            html = html.replace(marked, f'<{tag} class="{css}">{marked}</{tag}>')
    return Markup(html)  # noqa: S704 (built only from escape()d text and a fixed tag and class)


def register(app: Flask) -> None:
    app.jinja_env.globals["form_token"] = form_token
    app.jinja_env.globals["link_to"] = link_to
    app.jinja_env.globals["escalation_reference"] = escalation_reference
    # Events are worded by the registry alone, on every screen as in the reports and the PDF.
    app.jinja_env.globals["describe"] = describe
    app.jinja_env.globals["event_body"] = body
    app.jinja_env.filters["event_label"] = event_label
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["mode_label"] = mode_label
    app.jinja_env.filters["highlight"] = highlight


def download(data: bytes | Path, mimetype: str, name: str) -> Response:
    """``data`` (bytes, or a file) as an attachment called ``name``, never cached: reports and packs hold
    personal data of (fictional) customers and real learners."""
    resp = send_file(
        data if isinstance(data, Path) else io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=name,
        max_age=0,
        etag=False,
        last_modified=None,
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def replay_page(contact: Contact, viewer: Any, back: str) -> str:
    """The replay of ``contact`` at the event ``?at=`` (the last by default): the desk as it was then,
    recorded in who-saw-what before it is sent. ``back``: where the page's "Back" link goes."""
    raw = request.args.get("at", "")
    desk = desk_at(contact, int(raw) if raw.isdecimal() and len(raw) < 10 else None)
    factors = [{"id": f, "label": IDV_FACTORS[f]} for f in contact.policy.get("idv_factors", [])]
    # A learner replays their own work: what they, the caller and the system did, never the engine's raw
    # flags (their report lists the ones the assessor confirmed) nor the assessor's, IQA's or mood events.
    learner = getattr(viewer, "role", "") == "learner"
    shown = [
        e
        for e in desk.all_events
        if not learner
        or (e.actor in ("learner", "caller", "system") and e.type not in ("caller.mood", "caller.typing"))
    ]
    page = render_template(
        "replay.html",
        shown_events=shown,
        show_findings=not learner,
        contact=desk.contact,
        ws=desk,
        factors=factors,
        factor_labels=IDV_FACTORS,
        record_fields=customers.record_fields(desk.record, desk.verified) if desk.record else [],
        outcomes=outcome_codes(),
        readonly=True,
        back=back,
    )
    account = ["transactions", "history"] if desk.verified else []  # shown on the replayed record then
    disclosure.contact_view(viewer, "replay", contact, desk.events, account)
    return page


def review_page(template: str, contact: Contact, review: ContactReview, typed: dict | None = None) -> str:
    """A contact's review as ``template`` shows it (the assessor's working page or the learner's report);
    ``typed``: what a refused sign-off form held, shown again so nothing typed is lost."""
    return render_template(
        template,
        contact=contact,
        review=review,
        outcomes=OUTCOMES,
        method=ASSESSMENT_METHOD,
        duration=kpis.duration,
        typed=typed,
        compare_note=compare_mode_note(contact),
    )
