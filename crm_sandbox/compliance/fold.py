"""Findings as a fold over a contact's events: pure, incremental and serialisable.

    state = start(header)            # the session document without its events (dict or SessionDocument)
    state, new = step(state, event)  # each event in seq order: the findings it makes on its own
    findings = settle(state)         # every finding of the events so far: what ``evaluate`` returns

``evaluate(session)`` is this fold over all the session's events, so appending an event costs the work
of that event, and ``settle`` at any prefix equals ``evaluate`` on that prefix. ``to_json``/``from_json``
store a state (it holds customer values: store it encrypted).

How each rule of ``RULES`` (``Context -> list[RuleFinding]``) runs is named in ``FOLD_KINDS``:

- ``per_event(types)``: the rule reads the current event (with the ID&V status and what the caller had said
  before it, ``ctx.closed`` and ``ctx.disclosures``) and keeps anything else across events in
  ``ctx.carry``. It runs on a one-step context as each event of ``types`` arrives (every type it reads,
  including one that only resets what it carries); its findings are kept.
- ``settled(types, first_only)``: the rule's findings depend on later events (a close, a group of events).
  The steps of ``types`` are kept (only the first of each type with ``first_only``) and the rule is re-run
  on them at ``settle``; its findings are replaced each time.

A rule not named in ``FOLD_KINDS`` (e.g. one just added to ``RULES``) runs as ``settled`` over every
event: correct at once, but its state grows with the contact. Name it here once it reads only the
current event (``per_event``) or a few event types (``settled``).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping

from .context import Context, Disclosure, Progress, Step, Window
from .document import EVENT_TYPES, DocumentEvent, SessionDocument, _parse_event, parse_session
from .engine import RULES, Rule
from .findings import RuleFinding
from .matching import CustomerMatcher

FORMAT = "crm-sandbox/rule-state@1"


@dataclass(frozen=True)
class PerEvent:
    """A rule run as each event of ``types`` arrives, on that event alone."""

    types: frozenset[str]


@dataclass(frozen=True)
class Settled:
    """A rule re-run at ``settle`` on the steps of ``types`` (``None``: every event)."""

    types: frozenset[str] | None
    first_only: bool = False


def per_event(*types: str) -> PerEvent:
    return PerEvent(frozenset(types))


def settled(*types: str, first_only: bool = False) -> Settled:
    return Settled(frozenset(types) if types else None, first_only)


SENT, NOTES = "message.sent", ("note.added", "note.amended")
FOLD_KINDS: dict[str, PerEvent | Settled] = {
    "disclosure-before-verification": per_event(SENT),
    "leading-verification-question": per_event(SENT, "message.received"),  # a caller's reply ends an ask
    "disclosure-to-third-party": per_event(SENT),
    "change-before-verification": per_event("record.updated", "refund.issued"),
    "over-collection": per_event(SENT, *NOTES, "record.updated"),
    "payment-card-data": per_event(SENT, *NOTES, "record.updated"),
    "special-category-data": per_event(*NOTES, "record.updated"),
    "verification-lockout-ignored": settled("idv.answer"),  # one finding naming every late answer
    "record-access-without-contact": settled("customer.viewed"),  # one finding per other customer
    "late-log": per_event(*NOTES),  # a note is late only once the contact has closed (events come in time order)
    "missing-log": settled("note.added", "contact.closed", first_only=True),
    "beyond-authority": per_event("refund.issued"),
    "missed-escalation": settled("escalated", "contact.closed", first_only=True),
    "unpersonalised-template": per_event(SENT),
    "handover-oversharing": per_event("handover.written"),
    "ended-without-warning": per_event(SENT, "message.received", "call.ended"),
    "public-reply-personal-data": per_event(SENT),
    "guidance-not-checked": per_event(SENT, "caller.screen"),
}
EVERY_EVENT = Settled(None)


def kind_of(rule_id: str) -> PerEvent | Settled:
    return FOLD_KINDS.get(rule_id, EVERY_EVENT)


_MATCHERS: OrderedDict[tuple[tuple[str, str], ...], CustomerMatcher] = OrderedDict()


def _matcher(customer: Mapping[str, str]) -> CustomerMatcher:
    """One matcher per customer, reused across steps (a small LRU: building one compiles its patterns)."""
    key = tuple(sorted(customer.items()))
    found = _MATCHERS.get(key)
    if found is None:
        found = _MATCHERS[key] = CustomerMatcher(customer)
        if len(_MATCHERS) > 64:
            _MATCHERS.popitem(last=False)
    else:
        _MATCHERS.move_to_end(key)
    return found


@dataclass
class State:
    """Everything the fold knows after the events so far (see ``to_json``)."""

    header: Mapping[str, Any] | None  # the raw header (None when started from a parsed SessionDocument)
    session: SessionDocument  # the parsed header (no events)
    rules: tuple[str, ...]  # the rule ids this state runs
    last_seq: int = -1
    progress: Progress = field(default_factory=Progress)
    window: Window = field(default_factory=Window)
    closed: DocumentEvent | None = None
    carry: dict[str, Any] = field(default_factory=dict)
    found: list[RuleFinding] = field(default_factory=list)  # per-event findings so far
    kept: dict[str, list[Step]] = field(default_factory=dict)  # settled rule -> its steps

    @cached_property
    def matcher(self) -> CustomerMatcher:
        return _matcher(self.session.customer)

    @cached_property
    def plan(self) -> dict[str, tuple[list[Rule], list[tuple[str, Settled]]]]:
        """Event type -> the per-event rules it runs and the settled rules that keep it (built once)."""
        types = set(EVENT_TYPES)
        plan: dict[str, tuple[list[Rule], list[tuple[str, Settled]]]] = {t: ([], []) for t in types}
        for rule_id in self.rules:
            kind = kind_of(rule_id)
            for t in types if kind.types is None else kind.types & types:
                if isinstance(kind, PerEvent):
                    plan[t][0].append(RULES[rule_id])
                else:
                    plan[t][1].append((rule_id, kind))
        return plan

    def copy(self) -> State:
        """A copy whose changes leave this state as it is (what it derives once is shared)."""
        after = State(
            self.header,
            self.session,
            self.rules,
            self.last_seq,
            Progress.from_json(self.progress.to_json()),
            Window(self.window.before, self.window.heard),
            self.closed,
            copy.deepcopy(self.carry),
            list(self.found),
            {rule: list(steps) for rule, steps in self.kept.items()},
        )
        after.__dict__.update({k: v for k, v in self.__dict__.items() if k in ("matcher", "plan")})
        return after


class StepContext(Context):
    """The context a per-event rule reads: the one step, with the fold's state as it stands."""

    def __init__(self, state: State, step: Step) -> None:
        self.session = state.session
        self.policy = state.session.policy
        self.matcher = state.matcher
        self.carry = state.carry
        self.steps = [step]
        self._state = state

    @cached_property
    def closed(self) -> DocumentEvent | None:
        return self._state.closed

    @cached_property
    def disclosures(self) -> list[Disclosure]:
        return self._state.window.disclosures(self, self.steps[0])


class KeptContext(Context):
    """The context a settled rule reads at ``settle``: the steps it keeps, as they were folded."""

    def __init__(self, state: State, steps: list[Step]) -> None:
        self.session = state.session
        self.policy = state.session.policy
        self.matcher = state.matcher
        self.carry = {}
        self.steps = steps


def _header(header: SessionDocument | Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, SessionDocument]:
    if isinstance(header, SessionDocument):
        return None, SessionDocument(header.contact, header.scenario, header.policy, header.caller, header.customer, ())
    raw = {k: v for k, v in header.items() if k not in ("events", "chain", "withheld")}
    return raw, parse_session({**raw, "events": []})


def start(header: SessionDocument | Mapping[str, Any], only: list[str] | None = None) -> State:
    """The state before any event. ``header``: the session document (its events are ignored).

    Raises SessionFormatError if a dict header is not a valid session."""
    raw, session = _header(header)
    rules = tuple(r for r in RULES if only is None or r in only)
    return State(raw, session, rules, kept={r: [] for r in rules if isinstance(kind_of(r), Settled)})


def _advance(state: State, event: DocumentEvent) -> list[RuleFinding]:
    """Fold ``event`` into ``state`` in place; the per-event findings it makes."""
    if event.seq <= state.last_seq:
        raise ValueError(f"event seq {event.seq} comes after {state.last_seq}: events are folded in seq order")
    step = state.progress.step(event)
    if event.type == "contact.closed" and state.closed is None:
        state.closed = event
    ctx = StepContext(state, step)
    runs, keeps = state.plan[event.type]
    found: list[RuleFinding] = []
    for rule in runs:
        found.extend(rule(ctx))
    for rule_id, kind in keeps:
        kept = state.kept[rule_id]
        if not kind.first_only or all(s.event.type != event.type for s in kept):
            kept.append(step)
    if "disclosures" not in ctx.__dict__:
        state.window.disclosures(ctx, step)  # no rule read them: the window still moves on
    state.progress.advance(ctx, event)
    state.last_seq = event.seq
    if found:
        found = sorted(set(found), key=lambda f: f.sort_key)
        state.found.extend(found)
    return found


def _event(event: DocumentEvent | Mapping[str, Any]) -> DocumentEvent:
    return event if isinstance(event, DocumentEvent) else _parse_event(event, 0)


def step(state: State, event: DocumentEvent | Mapping[str, Any]) -> tuple[State, list[RuleFinding]]:
    """The state after ``event`` (a DocumentEvent or an export event dict) and the findings it makes on
    its own (findings settled later are not among them). ``state`` is left as it was."""
    after = state.copy()
    return after, _advance(after, _event(event))


def step_all(state: State, events: Iterable[DocumentEvent | Mapping[str, Any]]) -> State:
    """The state after ``events`` in turn (``step`` for each, copying ``state`` once)."""
    after = state.copy()
    for event in events:
        _advance(after, _event(event))
    return after


def settle(state: State) -> list[RuleFinding]:
    """Every finding of the events so far, sorted by first event then rule (``evaluate``'s answer)."""
    found = set(state.found)
    for rule_id, steps in state.kept.items():
        found.update(RULES[rule_id](KeptContext(state, steps)))
    return sorted(found, key=lambda f: f.sort_key)


def fold(session: SessionDocument | Mapping[str, Any], only: list[str] | None = None) -> State:
    """The state after every event of ``session``."""
    parsed = parse_session(session)
    state = start(parsed if isinstance(session, SessionDocument) else session, only)
    for event in parsed.events:
        _advance(state, event)
    return state


# --- storing a state ---------------------------------------------------------------------------------


def _event_json(event: DocumentEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "type": event.type,
        "data": dict(event.data),
    }


def _step_json(s: Step) -> dict[str, Any]:
    return {"event": _event_json(s.event), "status": s.status, "failures": s.failures, "given": sorted(s.given)}


def _step_from(raw: Mapping[str, Any]) -> Step:
    return Step(_parse_event(raw["event"], 0), raw["status"], raw["failures"], frozenset(raw["given"]))


def to_json(state: State) -> dict[str, Any]:
    """``state`` as plain JSON values (the header must have been given as a dict)."""
    if state.header is None:
        raise ValueError("a state started from a parsed SessionDocument cannot be stored: start it from the dict")
    return {
        "format": FORMAT,
        "header": dict(state.header),
        "kinds": _kinds(state.rules),
        "last_seq": state.last_seq,
        "progress": state.progress.to_json(),
        "window": {"before": list(state.window.before) if state.window.before else None, "heard": state.window.heard},
        "closed": _event_json(state.closed) if state.closed else None,
        "carry": state.carry,
        "found": [f.to_dict() for f in state.found],
        "kept": {rule: [_step_json(s) for s in steps] for rule, steps in state.kept.items()},
    }


def _kinds(rules: tuple[str, ...]) -> dict[str, str]:
    return {r: repr(kind_of(r)) for r in rules}


def from_json(raw: Mapping[str, Any], only: list[str] | None = None) -> State:
    """A state stored by ``to_json``. Raises ValueError (or KeyError/TypeError) if it is not one, and
    ValueError if it was made for other rules than ``RULES`` now has (rebuild it from the events)."""
    if raw.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} state")
    state = start(raw["header"], only)
    if raw["kinds"] != _kinds(state.rules):
        raise ValueError("the state was made for other rules: rebuild it")
    before = raw["window"]["before"]
    state.last_seq = int(raw["last_seq"])
    state.progress = Progress.from_json(raw["progress"])
    state.window = Window((int(before[0]), str(before[1])) if before else None, raw["window"]["heard"])
    state.closed = _parse_event(raw["closed"], 0) if raw["closed"] else None
    state.carry = dict(raw["carry"])
    state.found = [RuleFinding(**{**f, "events": tuple(f["events"])}) for f in raw["found"]]
    state.kept = {rule: [_step_from(s) for s in steps] for rule, steps in raw["kept"].items()}
    return state


__all__ = [
    "FOLD_KINDS",
    "per_event",
    "State",
    "fold",
    "from_json",
    "settle",
    "settled",
    "start",
    "step",
    "step_all",
    "to_json",
]
