"""Fold = batch: the incremental engine (``compliance/fold.py``) gives exactly the findings of every rule
run on the whole session, on every corpus session and at every prefix of them."""

import json
from pathlib import Path

import pytest
import yaml
from corpus_builder import build

from crm_sandbox.compliance import RULES, evaluate, fold
from crm_sandbox.compliance.engine import evaluate_whole
from crm_sandbox.compliance.findings import finding

HERE = Path(__file__).parent
CORPUS_FILES = sorted(HERE.glob("corpus*.yaml"))


def _sessions() -> list[dict]:
    return [build(item) for path in CORPUS_FILES for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


SESSIONS = _sessions()


def _prefix(doc: dict, n: int) -> dict:
    return {**doc, "events": doc["events"][:n]}


def test_the_corpus_files_are_all_read():
    assert len(CORPUS_FILES) >= 4 and len(SESSIONS) > 500


def test_fold_equals_batch_on_every_corpus_session():
    for doc in SESSIONS:
        assert evaluate(doc) == evaluate_whole(doc), doc["contact"]["id"]


def test_fold_equals_batch_at_every_prefix_of_every_corpus_session():
    """What the app evaluates: the settled state after each event equals the batch on that prefix."""
    for doc in SESSIONS:
        state = fold.start(doc)
        events = sorted(doc["events"], key=lambda e: e["seq"])
        for n, event in enumerate(events, start=1):
            state, new = fold.step(state, event)
            settled = fold.settle(state)
            assert settled == evaluate_whole(_prefix({**doc, "events": events}, n)), (doc["contact"]["id"], n)
            assert set(new) <= set(settled)


def test_a_stored_state_carries_on_where_it_stopped():
    """Stored as JSON after any event and read back, the fold goes on to the same findings."""
    for doc in SESSIONS[::7]:
        events = sorted(doc["events"], key=lambda e: e["seq"])
        cut = len(events) // 2
        state = fold.start(doc)
        for event in events[:cut]:
            state, _ = fold.step(state, event)
        state = fold.from_json(json.loads(json.dumps(fold.to_json(state))))
        for event in events[cut:]:
            state, _ = fold.step(state, event)
        assert fold.settle(state) == evaluate_whole(doc), doc["contact"]["id"]


def test_step_leaves_the_state_it_was_given_as_it_was():
    doc = next(d for d in SESSIONS if len(d["events"]) > 6 and evaluate(d))
    state = fold.start(doc)
    for event in doc["events"]:
        before = json.dumps(fold.to_json(state))
        after, _ = fold.step(state, event)
        assert json.dumps(fold.to_json(state)) == before
        state = after


def test_events_out_of_order_are_refused():
    doc = next(d for d in SESSIONS if len(d["events"]) > 2)
    state, _ = fold.step(fold.start(doc), doc["events"][1])
    with pytest.raises(ValueError, match="seq order"):
        fold.step(state, doc["events"][0])


def test_a_state_for_other_rules_is_refused(monkeypatch):
    doc = SESSIONS[0]
    stored = fold.to_json(fold.start(doc))
    monkeypatch.setitem(fold.FOLD_KINDS, "late-log", fold.settled("note.added"))
    with pytest.raises(ValueError, match="other rules"):
        fold.from_json(stored)


def test_a_plain_context_rule_runs_in_the_fold_unchanged(monkeypatch):
    """A rule added to RULES in the ``Context -> list[RuleFinding]`` form, not named in FOLD_KINDS,
    runs over every event at settle: fold = batch for it too, at every prefix."""

    def notes_after_messages(ctx):
        sent = [s.event.seq for s in ctx.of_type("message.sent")]
        return [
            finding("late-log", [s.event.seq], "after", "a note after a message")
            for s in ctx.of_type("note.added")
            if sent and sent[0] < s.event.seq
        ]

    monkeypatch.setitem(RULES, "notes-after-messages", notes_after_messages)
    for doc in SESSIONS[::5]:
        state = fold.start(doc)
        for n, event in enumerate(doc["events"], start=1):
            state, _ = fold.step(state, event)
            assert fold.settle(state) == evaluate_whole(_prefix(doc, n))


def test_fold_kinds_name_only_rules_that_exist():
    assert set(fold.FOLD_KINDS) == set(RULES)
