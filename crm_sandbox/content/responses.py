"""Canned responses (``seed/responses.yaml``) and wrap-up outcome codes (``seed/outcomes.yaml``)."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from crm_sandbox.content import file_stamp
from crm_sandbox.formatting import money

# Placeholder fields the desk itself fills from what it gave on the contact, not from the customer.
CONTACT_FIELDS = ("escalation_reference", "refund_amount")


@dataclass(frozen=True)
class Placeholder:
    token: str
    label: str
    field: str | None
    personal: bool


@dataclass(frozen=True)
class Response:
    id: str
    title: str
    text: str
    channels: tuple[str, ...]


@lru_cache(maxsize=4)
def _parse_responses(path: str, stamp: tuple) -> tuple[dict[str, Placeholder], tuple[Response, ...]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    placeholders = {
        token: Placeholder(token, p.get("label", token), p.get("field"), bool(p.get("personal")))
        for token, p in data.get("placeholders", {}).items()
    }
    responses = tuple(
        Response(r["id"], r["title"], r["text"], tuple(r.get("channels") or ())) for r in data.get("responses", [])
    )
    return placeholders, responses


def load_responses(seed_dir: str) -> tuple[dict[str, Placeholder], list[Response]]:
    """The placeholders and canned responses. Parsed once, until the file changes (the workspace
    page asks for them several times per request, and parsing the YAML was most of its cost)."""
    path = Path(seed_dir, "responses.yaml")
    placeholders, responses = _parse_responses(str(path), file_stamp(path))
    return dict(placeholders), list(responses)


def responses_for(seed_dir: str, channel: str) -> list[Response]:
    return [r for r in load_responses(seed_dir)[1] if not r.channels or channel in r.channels]


def get_response(seed_dir: str, response_id: str) -> Response | None:
    return next((r for r in load_responses(seed_dir)[1] if r.id == response_id), None)


def placeholder_values(
    seed_dir: str, customer: dict | None, verified: bool, contact_values: dict[str, str] | None = None
) -> dict[str, str]:
    """Values the composer may offer for placeholders: personal ones only once verified.
    ``contact_values`` are what the desk itself gave on this contact (``escalation_reference``,
    ``refund_amount``)."""
    placeholders, _ = load_responses(seed_dir)
    values = {}
    for token, p in placeholders.items():
        if p.field and contact_values and contact_values.get(p.field):
            values[token] = contact_values[p.field]
            continue
        if not p.field or customer is None or (p.personal and not verified):
            continue
        if p.field == "address":
            values[token] = ", ".join(
                v
                for v in (customer["address_line1"], customer["address_line2"], customer["town"], customer["postcode"])
                if v
            )
        elif p.field == "balance":
            values[token] = money(customer["balance"])  # "-£3.00", never "£-3.00"
        elif p.field in customer:
            values[token] = str(customer[p.field])
    return values


@lru_cache(maxsize=4)
def _parse_outcomes(path: str, stamp: tuple) -> list[dict]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load_outcomes(seed_dir: str) -> list[dict]:
    """The wrap-up outcome codes: ``[{code, label}]`` (parsed once, until the file changes)."""
    path = Path(seed_dir, "outcomes.yaml")
    return [dict(o) for o in _parse_outcomes(str(path), file_stamp(path))]
