"""Every scenario's machine-readable customer profile agrees with its prose (brief, persona, opening,
need, replies, facts): an age the prose gives lies inside the band, and what it says of the person
(retired, a student, a grandparent, in work) fits the band. Pure: no app, no database.

The ages in the prose are the caller's: the customer's for an account holder, the caller's own
``caller.age`` for a third party (the power of attorney's son); an impostor's prose describes the
impostor, not the customer.
"""

import re
from pathlib import Path

import pytest

from crm_sandbox.scenarios.library import load_library, validate_scenario

SEED = Path(__file__).resolve().parents[2] / "seed"
DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
PART = {"early": (0, 3), "mid": (3, 6), "late": (7, 9), None: (0, 9)}
AGE_PHRASE = re.compile(
    r"\b(?:(early|mid|late)[- ]?)?(" + "|".join(DECADES) + r")\b|\b(\d{2})[- ]year[- ]old\b|\baged (\d{2})\b", re.I
)
# What the prose may say about the person, and the ages it implies.
CLAIMS = {
    r"\bretired\b": (60, 100),
    r"\bstudent\b": (18, 30),
    r"\bgrand(?:child|son|daughter|children)\b": (50, 100),
    r"\b(?:self-employed|nurse|accountant|shop manager|software tester|signed off work|working away)\b": (18, 70),
}
SCENARIOS = {f.id: f.scenario for f in load_library(str(SEED)) if f.valid}


def texts(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in ("customer", "age"):
                yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


def ages_mentioned(text: str) -> list[tuple[int, int]]:
    found = []
    for m in AGE_PHRASE.finditer(text):
        if m.group(2):
            lo, hi = PART[m.group(1).lower() if m.group(1) else None]
            found.append((DECADES[m.group(2).lower()] + lo, DECADES[m.group(2).lower()] + hi))
        else:
            n = int(m.group(3) or m.group(4))
            found.append((n, n))
    return found


def test_the_age_reader_reads_the_usual_phrases():
    assert ages_mentioned("in their late twenties") == [(27, 29)]
    assert ages_mentioned("Retired, in their seventies") == [(70, 79)]
    assert ages_mentioned("a student in their early twenties, a 45-year-old, aged 38") == [(20, 23), (45, 45), (38, 38)]


@pytest.mark.parametrize("sid", sorted(SCENARIOS))
def test_the_prose_mentions_no_age_outside_the_band(sid):
    scenario = SCENARIOS[sid]
    caller = scenario["caller"]
    if caller["relationship"] == "account_holder":
        band, who = tuple(scenario["customer"]["age"]), "customer.age"
    else:
        band, who = tuple(caller.get("age", (0, 0))), "caller.age"
    prose = " ".join(texts({k: v for k, v in scenario.items() if k != "customer"}))
    for lo, hi in ages_mentioned(prose):
        assert band[0] <= lo and hi <= band[1], f"{sid}: the prose says {lo}-{hi}, {who} is {band}"
    if caller["relationship"] == "account_holder":
        for pattern, (lo, hi) in CLAIMS.items():
            if re.search(pattern, prose, re.I):
                assert lo <= band[0] and band[1] <= hi, f"{sid}: {pattern} does not fit customer.age {band}"
        # The band is no wider than the prose's own words: a customer born anywhere in it fits them.
        for lo, hi in ages_mentioned(prose):
            assert (lo, hi) == band or lo <= band[0] <= band[1] <= hi, sid


@pytest.mark.parametrize("sid", sorted(SCENARIOS))
def test_the_occupation_in_the_profile_is_the_one_in_the_prose(sid):
    scenario = SCENARIOS[sid]
    occupation = scenario["customer"].get("occupation")
    if occupation and scenario["caller"]["relationship"] == "account_holder":
        prose = " ".join(texts(scenario)).lower()
        assert occupation.lower() in prose, sid


def test_an_attorney_is_a_generation_younger_than_the_parent():
    poa = SCENARIOS["power-of-attorney"]
    assert poa["customer"]["age"][0] >= poa["caller"]["age"][1] + 18


def test_profiles_are_validated():
    base = dict(SCENARIOS["balance-enquiry"])
    for bad in (
        {},
        {"age": [17, 30]},
        {"age": [40, 30]},
        {"age": "70s"},
        {"age": [70, 79], "product": "Gold card"},
        {"age": [70, 79], "balance": [10, 1]},
        {"age": [70, 79], "transactions": [{"description": "Fee", "amount": "x", "days_ago": 2}]},
        {"age": [70, 79], "namesake": "yes"},
    ):
        assert validate_scenario({**base, "customer": bad}, "balance-enquiry"), bad
    assert validate_scenario({**base, "customer": {"age": [70, 79]}}, "balance-enquiry") == []
    missing = {k: v for k, v in base.items() if k != "customer"}
    assert "missing 'customer'" in validate_scenario(missing, "balance-enquiry")
