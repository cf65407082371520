"""Time the compliance rules on a generated 500-event session (median of repeats; target < 50 ms), and
as a ratio to the naive single-pass baseline (bench/naive_rules.py) on the same document in the same run,
the two timed alternately (issue 18's target: engine <= 0.5 x naive).

Run: .venv/bin/python bench/bench_rules.py [--events 500] [--repeats 30] [--bad-input]

``--bad-input`` also times issue 17's bad input (tests/compliance/bad_input.py): a session of 10,000
events and sessions of huge, endless or unusual messages; each should take a few seconds at most.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compliance"))

from bench.naive_rules import evaluate as naive_evaluate  # noqa: E402
from crm_sandbox.compliance import evaluate, parse_session  # noqa: E402

CUSTOMER = {
    "id": "cust-0001",
    "full_name": "Jane Smith",
    "first_name": "Jane",
    "last_name": "Smith",
    "date_of_birth": "1985-03-12",
    "address_line1": "14 Acacia Road",
    "address_line2": "",
    "town": "Leeds",
    "postcode": "LS1 4AP",
    "email": "jane.smith42@example.com",
    "phone": "07700 900123",
    "account_number": "12345678",
    "sort_code": "99-12-34",
    "memorable_word": "butterfly",
    "balance": "1284.50",
}
LEARNER = [
    "Thanks for waiting, I'm just looking into that for you now.",
    "Can you confirm your date of birth, please?",
    "I can see a payment of £42.10 to the council on the 3rd, does that look right?",
    "For security I can't go into the account until you've passed security.",
    "Your balance is £1,284.50 and there's nothing pending.",
    "Is there anything else I can help you with today?",
    "I'll send a secure link so you can update your card details safely.",
]
CALLER = [
    "Hi, I've got a question about a direct debit",
    "It's 12th March 1985",
    "LS1 4AP",
    "Yes that's right, thanks",
    "Can you tell me my balance?",
    "I moved to 3 Park Grove last month",
]
NOTES = ["Caller asked about a direct debit; explained the merchant name.", "Balance given after ID&V."]


def generate(n_events: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    at = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    kinds = (
        ["message.sent"] * 45
        + ["message.received"] * 40
        + ["note.added"] * 5
        + ["customer.viewed"] * 4
        + ["idv.answer"] * 3
        + ["record.updated", "refund.issued", "kb.viewed"]
    )
    events = []
    for seq in range(1, n_events + 1):
        kind = "contact.opened" if seq == 1 else "contact.closed" if seq == n_events else rng.choice(kinds)
        data = {
            "message.sent": lambda: {"text": rng.choice(LEARNER)},
            "message.received": lambda: {"text": rng.choice(CALLER)},
            "note.added": lambda: {"text": rng.choice(NOTES)},
            "customer.viewed": lambda: {"customer_id": rng.choice(["cust-0001", "cust-0001", "cust-0042"])},
            "idv.answer": lambda: {"factor": "date_of_birth", "given": "12/03/1985", "match": rng.random() < 0.7},
            "record.updated": lambda: {"field": "phone", "value": "07700 900456"},
            "refund.issued": lambda: {"amount": rng.choice(["20.00", "75.00"])},
            "kb.viewed": lambda: {"article": "ID&V"},
            "contact.opened": lambda: {},
            "contact.closed": lambda: {"outcome": "resolved", "resolved": True},
        }[kind]()
        at += timedelta(seconds=rng.randint(5, 40))
        events.append(
            {"seq": seq, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "actor": "learner", "type": kind, "data": data}
        )
    return {
        "format": "crm-sandbox/session@1",
        "contact": {"id": "c-bench", "channel": "chat", "learner": "l1"},
        "scenario": {
            "id": "s",
            "title": "Bench",
            "purpose": "Bench",
            "needed_data": ["phone"],
            "requires_escalation": True,
        },
        "policy": {
            "idv_factors": ["date_of_birth", "postcode", "memorable_word_characters", "account_number_last4"],
            "idv_required": 2,
            "lockout_attempts": 3,
            "late_log_minutes": 10,
            "authority_limit": 50.0,
        },
        "caller": {"relationship": "third_party", "authorised": False},
        "customer": CUSTOMER,
        "events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--bad-input", action="store_true", help="also time the bad input of issue 17")
    args = parser.parse_args()
    doc = generate(args.events)
    evaluate(doc)  # warm up (regex compilation happens at import)
    if naive_evaluate(doc) != evaluate(doc):
        sys.exit("the naive baseline's findings differ from the engine's: the ratio would mean nothing")
    times, parse_times, naive_times = [], [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        findings = evaluate(doc)  # parse + validate + all rules, as the app calls it
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        naive_evaluate(doc)  # the same document, parsed and validated the same way
        naive_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        parse_session(doc)
        parse_times.append(time.perf_counter() - t0)
    median, naive = statistics.median(times) * 1000, statistics.median(naive_times) * 1000
    print(
        f"evaluate(): {args.events} events, {len(findings)} findings, median {median:.1f} ms over "
        f"{args.repeats} runs (of which parsing {statistics.median(parse_times) * 1000:.1f} ms); "
        f"target < 50 ms: {'OK' if median < 50 else 'TOO SLOW'}"
    )
    ratio = median / naive
    print(
        f"naive baseline (bench/naive_rules.py): median {naive:.1f} ms, same findings; engine / naive = "
        f"{ratio:.2f}x; target <= 0.5x: {'OK' if ratio <= 0.5 else 'NOT MET'}"
    )
    if args.bad_input:
        bad_input()


def bad_input() -> None:
    """How long each bad input of issue 17 takes (one run each; target: a few seconds at most)."""
    from bad_input import huge_session, message_sessions

    sessions = {"10,000 events": huge_session(10_000), **message_sessions()}
    for name, session in sessions.items():
        t0 = time.perf_counter()
        findings = evaluate(session)
        took = time.perf_counter() - t0
        print(f"bad input: {name:36} {took:6.2f} s, {len(findings)} findings: {'OK' if took < 5 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
