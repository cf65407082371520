"""Helpers for the tests of how people talk: build an excerpt's session and read its findings."""

from __future__ import annotations

from corpus_builder import build, verified

from crm_sandbox.compliance import evaluate

__all__ = ["rules", "hits", "verified"]


def rules(*events: dict, **item) -> set[str]:
    """The rule ids that fire on an excerpt (``events`` as in corpus_builder)."""
    return {f.rule for f in evaluate(build({"events": list(events), **item}))}


def hits(*events: dict, **item) -> set[tuple[str, tuple[int, ...]]]:
    """(rule, events) for each finding."""
    return {(f.rule, f.events) for f in evaluate(build({"events": list(events), **item}))}
