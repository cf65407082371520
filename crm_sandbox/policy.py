"""The ID&V and authority policy: defaults from ``seed/policy.yaml``, the trainer's form, and validation.

``policy_problems`` is the one place that says what a usable policy is; the trainer's form, the seed
file, taking a contact and working on one all ask it, so a bad value (typed, seeded or edited into
the database) is refused or reported in words instead of breaking a cohort. The ranges are what a
real contact centre would set:

- ``idv_factors``: questions from ``IDV_FACTORS``, at least one, each once;
- ``idv_required``: a whole number from 1 to the number of questions offered;
- ``lockout_attempts``: a whole number of wrong answers from 1 to 10 (more is unlimited guessing);
- ``authority_limit``: pounds from £0 to £100,000, with at most 2 decimal places;
- ``late_log_minutes``: whole minutes from 0 to 1,440 (a day);
- ``panel_mode``: blind or compare; ``practice_mode``: on or off (on: coaching tips on practice contacts
  only, never on an observed assessment); ``on_failure``: text;
- ``block_actions_before_verification``: on or off (off, the default: the desk lets the learner refund,
  credit or change details before ID&V passes, and the rules flag it for the assessor; on: refused).
"""

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

IDV_FACTORS = {
    "date_of_birth": "Date of birth",
    "postcode": "Postcode",
    "memorable_word_characters": "Characters of the memorable word",
    "account_number_last4": "Last four digits of the account number",
}
PANEL_MODES = ("blind", "compare")

LOCKOUT_ATTEMPTS = (1, 10)
LATE_LOG_MINUTES = (0, 1440)
AUTHORITY_LIMIT = (0, 100_000)
MAX_ON_FAILURE = 2000  # characters of the next-step text shown to the learner
MAX_TYPED = 20  # characters: longer than any allowed number, so longer input is refused unread

ALLOWED = {
    "idv_factors": "at least one of the listed questions, each once",
    "idv_required": "a whole number from 1 to the number of questions offered",
    "lockout_attempts": "a whole number of wrong answers from 1 to 10",
    "authority_limit": "an amount from £0 to £100,000 with at most 2 decimal places",
    "late_log_minutes": "a whole number of minutes from 0 to 1,440, a day",
    "panel_mode": "blind or compare",
    "practice_mode": "on or off",
    "block_actions_before_verification": "on or off",
    "on_failure": f"text of at most {MAX_ON_FAILURE:,} characters",
}
LABELS = {
    "idv_factors": "the ID&V questions",
    "idv_required": "the number of questions that must pass",
    "lockout_attempts": "the lockout",
    "authority_limit": "the authority limit",
    "late_log_minutes": "the late-log tolerance",
    "panel_mode": "the ID&V panel",
    "practice_mode": "practice mode",
    "block_actions_before_verification": "blocking account actions before verification",
    "on_failure": "the next step after failed security",
}
FORM_FIELDS = (
    "idv_factors",
    "idv_required",
    "lockout_attempts",
    "authority_limit",
    "late_log_minutes",
    "panel_mode",
    "practice_mode",
    "block_actions_before_verification",
)
NUMBERS = ("idv_required", "lockout_attempts", "authority_limit", "late_log_minutes")

# Digits, optionally grouped in thousands ("1,440"); amounts may start with £ and have pence.
WHOLE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)")
AMOUNT = re.compile(r"£?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
NOT_NUMBERS = {"nan", "inf", "infinity"}
ON = ("on", "true", "1", "yes")  # a ticked checkbox


def load_policy(seed_dir: str) -> dict[str, Any]:
    """The default policy from ``seed/policy.yaml``; a ValueError naming what is wrong otherwise
    (the CLI and the trainer console show it, so a bad file stops seeding instead of a cohort)."""
    path = Path(seed_dir, "policy.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValueError(f"seed/policy.yaml cannot be read: {err.strerror or err}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ValueError(f"seed/policy.yaml is not valid YAML: {err}") from None
    errors = validate_policy(data)
    if errors:
        raise ValueError("seed/policy.yaml needs fixing: " + "; ".join(errors) + ".")
    return data


def validate_policy(data: Any) -> list[str]:
    """Plain-language problems with a policy, as clauses to list after a colon; empty when it is valid."""
    return [problem[0].lower() + problem[1:].removesuffix(".") for problem in policy_problems(data).values()]


def policy_problems(data: Any) -> dict[str, str]:
    """Per setting, what is wrong with it and what is allowed; empty when the policy is valid."""
    if not isinstance(data, dict):
        return {"policy": "The policy must be a set of named settings."}
    problems = _verification_problems(data)
    in_range = {
        "lockout_attempts": whole(data.get("lockout_attempts"), *LOCKOUT_ATTEMPTS),
        "late_log_minutes": whole(data.get("late_log_minutes"), *LATE_LOG_MINUTES),
        "authority_limit": pounds(data.get("authority_limit")),
        "panel_mode": data.get("panel_mode") in PANEL_MODES,
        "practice_mode": isinstance(data.get("practice_mode", False), bool),
        "block_actions_before_verification": isinstance(data.get("block_actions_before_verification", False), bool),
    }
    problems.update({key: f"it is {shorten(data.get(key))}" for key, ok in in_range.items() if not ok})
    on_failure = data.get("on_failure", "")
    if not isinstance(on_failure, str) or len(on_failure) > MAX_ON_FAILURE:
        problems["on_failure"] = "it is not short text"
    return {key: explain(key, what) for key, what in problems.items()}


def _verification_problems(data: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the ID&V questions offered and the number that must pass."""
    problems = {}
    factors = data.get("idv_factors")
    offered = None
    if not isinstance(factors, list) or not factors:
        problems["idv_factors"] = "none chosen"
    elif unknown := [f for f in factors if not isinstance(f, str) or f not in IDV_FACTORS]:
        problems["idv_factors"] = f"{', '.join(shorten(f) for f in unknown)} is not a known question"
    elif len(set(factors)) != len(factors):
        problems["idv_factors"] = "a question is listed more than once"
    else:
        offered = len(factors)
    required: Any = data.get("idv_required")  # checked by whole() before it is compared
    if not whole(required, 1, len(IDV_FACTORS)):
        problems["idv_required"] = f"it is {shorten(required)}" + (f"; {offered} are offered" if offered else "")
    elif offered is not None and required > offered:
        problems["idv_required"] = f"{required} must pass but only {offered} {'is' if offered == 1 else 'are'} offered"
    return problems


def explain(key: str, what: str) -> str:
    """ "The lockout must be a whole number of wrong answers from 1 to 10 (it is 1000000)." """
    label = LABELS[key]
    return f"{label[0].upper()}{label[1:]} must be {ALLOWED[key]} ({what})."


def whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def pounds(value: Any) -> bool:
    """A finite number of pounds in range with at most 2 decimal places (stored as a JSON number)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    low, high = AUTHORITY_LIMIT
    amount = Decimal(str(value))
    return low <= amount <= high and amount == amount.quantize(Decimal("0.01"))


def shorten(value: Any) -> str:
    """A stored value as a problem quotes it: short, and never a 309-digit number."""
    if value is None:
        return "missing"
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and abs(value) >= 1e9:
        return "over a billion" if value > 0 else "below minus a billion"
    text = str(value)
    return text if len(text) <= MAX_TYPED else text[:MAX_TYPED] + "…"


def parse_number(key: str, typed: str) -> tuple[int | float | None, str | None]:
    """A number the trainer typed, read strictly: (value, None) or (None, what is wrong).

    Only plain digits (thousands may be grouped with commas; amounts may start with £ and have
    pence): "NaN", "Infinity", "1e308", "-5", "abc" and "" are not read as numbers at all, so
    nothing but a range check is left for ``policy_problems``.
    """
    text = typed.strip()
    if not text:
        return None, "nothing was entered"
    if len(text) > MAX_TYPED:
        return None, f"what was typed is {len(text):,} characters long"
    shown = f"“{text}”"
    match = (AMOUNT if key == "authority_limit" else WHOLE).fullmatch(text)
    if match is None:
        bare = text.lower().lstrip("+-")
        if bare in NOT_NUMBERS:
            return None, f"{shown} is not a number"
        if text.startswith("-"):
            return None, f"{shown} is below 0"
        if "e" in bare and any(c.isdigit() for c in bare):
            return None, f"{shown} is written with an exponent: type the digits"
        if key != "authority_limit" and re.fullmatch(r"\d+\.\d*", text):
            return None, f"{shown} is not a whole number"
        return None, f"{shown} is not a number"
    digits = text.removeprefix("£").replace(",", "")
    if key != "authority_limit":
        return int(digits), None
    if match.group(1) and len(match.group(1)) > 2:
        return None, f"{shown} has more than 2 decimal places"
    return float(Decimal(digits)), None


def read_form(form: "MultiDict[str, str]", current: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The policy the trainer's form (a MultiDict) describes, settings it does not edit kept from
    ``current``, and the problems with it by field (empty when it can be saved)."""
    order = list(IDV_FACTORS)
    chosen = sorted(form.getlist("idv_factors"), key=lambda f: order.index(f) if f in IDV_FACTORS else len(order))
    policy = dict(current) if isinstance(current, dict) else {}
    policy.update(
        {
            "idv_factors": chosen,  # in the form's order; unknown or repeated ones are left for the check
            "panel_mode": form.get("panel_mode"),
            "practice_mode": form.get("practice_mode") in ("on", "true", "1", "yes"),
            "block_actions_before_verification": form.get("block_actions_before_verification") in ON,
        }
    )
    unread = {}
    for key in NUMBERS:
        value, wrong = parse_number(key, form.get(key) or "")
        policy[key] = value
        if wrong:
            unread[key] = explain(key, wrong)
    return policy, {**policy_problems(policy), **unread}


@dataclass
class PolicyForm:
    """What the trainer's policy form shows: the values in its fields, the problem beside each, and
    whether they are what was just typed (then the first field with a problem takes the focus)."""

    values: dict[str, Any]
    errors: dict[str, str]
    typed: bool = False

    @classmethod
    def stored(cls, policy: Any) -> "PolicyForm":
        return cls(form_values(policy), policy_problems(policy))

    @classmethod
    def refused(cls, form: "MultiDict[str, str]", problems: dict[str, str]) -> "PolicyForm":
        return cls(typed_values(form), problems, typed=True)

    @property
    def other_errors(self) -> list[str]:
        """Problems with settings the form has no field for (shown above it)."""
        return [message for key, message in self.errors.items() if key not in FORM_FIELDS]

    @property
    def focus(self) -> str | None:
        return next((key for key in FORM_FIELDS if key in self.errors), None) if self.typed else None


def form_values(policy: Any) -> dict[str, Any]:
    """A stored policy as the trainer's form shows it (numbers as text, as they would be typed)."""
    policy = policy if isinstance(policy, dict) else {}
    factors = policy.get("idv_factors")
    values = {
        "idv_factors": factors if isinstance(factors, list) else [],
        "panel_mode": policy.get("panel_mode"),
        "practice_mode": policy.get("practice_mode") is True,
        "block_actions_before_verification": policy.get("block_actions_before_verification") is True,
    }
    for key in NUMBERS:
        value = policy.get(key)
        values[key] = "" if value is None else shorten(value)
    if pounds(policy.get("authority_limit")):
        values["authority_limit"] = f"{Decimal(str(policy['authority_limit'])):.2f}"
    return values


def typed_values(form: "MultiDict[str, str]") -> dict[str, Any]:
    """What the trainer typed, to show again beside the problems with it."""
    return {
        "idv_factors": form.getlist("idv_factors"),
        "panel_mode": form.get("panel_mode"),
        "practice_mode": form.get("practice_mode") in ("on", "true", "1", "yes"),
        "block_actions_before_verification": form.get("block_actions_before_verification") in ON,
        **{key: form.get(key) or "" for key in NUMBERS},
    }
