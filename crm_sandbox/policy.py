"""The ID&V and authority policy: defaults from ``seed/policy.yaml`` and validation."""
from pathlib import Path

import yaml

IDV_FACTORS = {
    "date_of_birth": "Date of birth",
    "postcode": "Postcode",
    "memorable_word_characters": "Characters of the memorable word",
    "account_number_last4": "Last four digits of the account number",
}
PANEL_MODES = ("blind", "compare")


def load_policy(seed_dir: str) -> dict:
    """The default policy from ``seed/policy.yaml``; raises ValueError naming what is wrong."""
    data = yaml.safe_load(Path(seed_dir, "policy.yaml").read_text())
    errors = validate_policy(data)
    if errors:
        raise ValueError("seed/policy.yaml: " + "; ".join(errors))
    return data


def validate_policy(data) -> list[str]:
    """Plain-language problems with a policy; empty when it is valid."""
    if not isinstance(data, dict):
        return ["the policy must be a mapping of settings"]
    errors = []
    factors = data.get("idv_factors")
    if not isinstance(factors, list) or not factors:
        errors.append("choose at least one ID&V factor")
    elif unknown := [f for f in factors if f not in IDV_FACTORS]:
        errors.append(f"unknown ID&V factor(s): {', '.join(map(str, unknown))}")
    required = data.get("idv_required")
    if not isinstance(required, int) or isinstance(required, bool) or required < 1:
        errors.append("the number of factors that must pass is a whole number of at least 1")
    elif isinstance(factors, list) and required > len(factors):
        errors.append("more factors must pass than the policy offers")
    lockout = data.get("lockout_attempts")
    if not isinstance(lockout, int) or isinstance(lockout, bool) or lockout < 1:
        errors.append("the lockout limit is a whole number of at least 1")
    for key, label in (("late_log_minutes", "late-log tolerance"), ("authority_limit", "authority limit")):
        value = data.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            errors.append(f"the {label} is a number of at least 0")
    if data.get("panel_mode") not in PANEL_MODES:
        errors.append("the panel mode is 'blind' or 'compare'")
    if not isinstance(data.get("practice_mode", False), bool):
        errors.append("practice mode is on or off")
    return errors
