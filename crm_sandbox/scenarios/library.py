"""The scenario library: every ``seed/scenarios/*.yaml`` file, validated.

A malformed file does not stop the app: it is listed with its validation error and cannot be used.
The schema is described in ``seed/scenarios/README.md``.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.compliance.document import DATA_CATEGORIES, RELATIONSHIPS  # one vocabulary with the export
from crm_sandbox.content.criteria import AREAS
from crm_sandbox.policy import IDV_FACTORS

CHANNELS = ("chat", "email", "phone")
KNOWLEDGE = ("correct", "wrong", "unknown")
REQUIRED = ("id", "title", "channel", "reason", "purpose", "caller", "covers", "customer")
# The ages a profile may give (an account holder is an adult).
MIN_AGE, MAX_AGE = 18, 100
PRODUCTS = (  # the products the seeding gives customers (crm_sandbox/seeding.py)
    "Everyday Current Account",
    "Premier Current Account",
    "Basic Bank Account",
    "Instant Access Saver",
    "Reward Credit Card",
    "Student Current Account",
)

Scenario = dict  # a validated scenario document, as loaded from YAML


@dataclass(frozen=True)
class ScenarioFile:
    path: Path
    id: str
    scenario: Scenario | None  # None when the file is invalid
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


def validate_scenario(data: Any, stem: str) -> list[str]:
    """Plain-language problems with one scenario document; empty when it is valid."""
    if not isinstance(data, dict):
        return ["the file must hold a mapping of scenario fields"]
    errors = [f"missing '{key}'" for key in REQUIRED if key not in data]
    if data.get("id") not in (None, stem):
        errors.append(f"id '{data.get('id')}' does not match the file name '{stem}'")
    if "channel" in data and data["channel"] not in CHANNELS:
        errors.append(f"channel must be one of {', '.join(CHANNELS)}")
    needed = data.get("needed_data", [])
    if not isinstance(needed, list) or any(n not in DATA_CATEGORIES for n in needed):
        errors.append(f"needed_data must list categories from: {', '.join(DATA_CATEGORIES)}")
    errors += _covers_problems(data)
    caller = data.get("caller")
    if "caller" in data and not isinstance(caller, dict):
        errors.append("caller must be a mapping")
    elif isinstance(caller, dict):
        errors += _caller_problems(caller)
        if "age" in caller:
            errors += _band_problems(caller["age"], "caller.age")
    if "customer" in data:
        errors += _customer_problems(data["customer"])
    return errors


def _covers_problems(data: dict) -> list[str]:
    """Problems with ``covers``: the observation areas the scenario gives evidence for."""
    covers = data.get("covers", [])
    if not isinstance(covers, list) or any(not isinstance(a, str) or a not in AREAS for a in covers):
        return [f"covers must list observation areas from: {', '.join(AREAS)}"]
    if "covers" in data and not covers:
        return ["covers must name at least one observation area"]
    if len(set(covers)) != len(covers):
        return ["covers names an observation area twice"]
    return []


def _band_problems(band: Any, where: str) -> list[str]:
    """Problems with an age band ``[min, max]``."""
    if (
        not isinstance(band, list)
        or len(band) != 2
        or not all(isinstance(a, int) and not isinstance(a, bool) for a in band)
        or not MIN_AGE <= band[0] <= band[1] <= MAX_AGE
    ):
        return [f"{where} must be [youngest, oldest], whole years from {MIN_AGE} to {MAX_AGE}, youngest first"]
    return []


def _number(value: Any) -> bool:
    try:
        float(str(value).replace(",", ""))
    except ValueError:
        return False
    return not isinstance(value, bool)


def _customer_problems(profile: Any) -> list[str]:
    """Problems with a scenario's ``customer`` profile: the customer its contacts are played against."""
    if not isinstance(profile, dict):
        return ["customer must be a mapping (age, and optionally occupation, product, balance, transactions, namesake)"]
    errors = _band_problems(profile.get("age"), "customer.age")
    if not isinstance(profile.get("occupation", ""), str):
        errors.append("customer.occupation must be text")
    if profile.get("product", PRODUCTS[0]) not in PRODUCTS:
        errors.append(f"customer.product must be one of {', '.join(PRODUCTS)}")
    balance = profile.get("balance")
    if balance is not None and (
        not isinstance(balance, list)
        or len(balance) != 2
        or not all(_number(b) for b in balance)
        or float(balance[0]) > float(balance[1])
    ):
        errors.append("customer.balance must be [lowest, highest] in pounds, lowest first")
    transactions = profile.get("transactions", [])
    if not isinstance(transactions, list) or not all(
        isinstance(t, dict)
        and isinstance(t.get("description"), str)
        and t["description"].strip()
        and _number(t.get("amount"))
        and isinstance(t.get("days_ago"), int)
        and 0 <= t["days_ago"] <= 365
        for t in transactions
    ):
        errors.append(
            "customer.transactions must list {description, amount (pounds, minus for money out), days_ago (0-365)}"
        )
    if not isinstance(profile.get("namesake", False), bool):
        errors.append("customer.namesake must be true or false")
    return errors


def _caller_problems(caller: dict[str, Any]) -> list[str]:
    """Plain-language problems with a scenario's ``caller`` mapping."""
    errors = []
    if caller.get("relationship") not in RELATIONSHIPS:
        errors.append(f"caller.relationship must be one of {', '.join(RELATIONSHIPS)}")
    knows = caller.get("knows", {})
    if not isinstance(knows, dict):
        errors.append("caller.knows must map ID&V factors to correct, wrong or unknown")
    else:
        for factor, value in knows.items():
            if factor not in IDV_FACTORS:
                errors.append(f"caller.knows: unknown factor '{factor}'")
            elif value not in KNOWLEDGE:
                errors.append(f"caller.knows.{factor} must be correct, wrong or unknown")
    if not isinstance(caller.get("opening", ""), str) or not caller.get("opening"):
        errors.append("caller.opening (the caller's first words) is required")
    return errors


def load_file(path: Path) -> ScenarioFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        return ScenarioFile(path, path.stem, None, f"not valid YAML: {err}".splitlines()[0])
    errors = validate_scenario(data, path.stem)
    if errors:
        return ScenarioFile(path, path.stem, None, "; ".join(errors))
    data.setdefault("needed_data", [])
    data.setdefault("requires_escalation", False)
    data["caller"].setdefault("authorised", data["caller"]["relationship"] == "account_holder")
    data["caller"].setdefault("knows", {})
    data["caller"].setdefault("name", "holder")
    return ScenarioFile(path, path.stem, data)


def load_library(seed_dir: str) -> list[ScenarioFile]:
    """Every scenario file, sorted by its ``order`` then id, valid or not."""
    files = [load_file(p) for p in sorted(Path(seed_dir, "scenarios").glob("*.yaml"))]
    return sorted(files, key=lambda f: ((f.scenario or {}).get("order", 999), f.id))
