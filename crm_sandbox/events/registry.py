"""One declaration of every event type: its name, its data fields and their types, its label, its one
human description, and how it maps into the session export ``crm-sandbox/session@1``.

Standard library only (no Flask, no SQLAlchemy; ``crm_sandbox.formatting`` is standard library too): the operations, the views, the reports, the PDF and the
session reader can all use it. ``validate`` is what ``append_event`` calls before anything is
recorded; ``label`` and ``describe`` are the one wording of an event for people (the assessor's
timeline, the printable record, the PDF, the CSV); ``session_data`` is the event's ``data`` as the
session document carries it.

Use the constants (``NOTE_ADDED``) instead of bare strings, so a misspelt type fails on import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import AbstractSet, Any, Callable, Mapping

from crm_sandbox.formatting import escalation_reference, money, results_count

# The event types, one constant each.
CONTACT_OPENED = "contact.opened"
CONTACT_CLOSED = "contact.closed"
CUSTOMER_SEARCHED = "customer.searched"
CUSTOMER_VIEWED = "customer.viewed"
IDV_ANSWER = "idv.answer"
IDV_RESULT = "idv.result"
MESSAGE_SENT = "message.sent"
MESSAGE_RECEIVED = "message.received"
NOTE_ADDED = "note.added"
NOTE_AMENDED = "note.amended"
RECORD_UPDATED = "record.updated"
REFUND_ISSUED = "refund.issued"
COMPLAINT_RAISED = "complaint.raised"
ESCALATED = "escalated"
KB_VIEWED = "kb.viewed"
OBSERVATION_ADDED = "observation.added"
ASSESSMENT_SIGNED = "assessment.signed"
ASSESSMENT_REOPENED = "assessment.reopened"
ASSESSMENT_COUNTERSIGNED = "assessment.countersigned"
IQA_VERDICT = "iqa.verdict"
IQA_ANSWERED = "iqa.answered"

# Level 3 work (issue 21): types recorded on Level 3 streams (models/level3.py), never on a contact, so
# never in a session document. Declared in LEVEL3_REGISTRY below, validated by ``validate_level3``.
REVIEW_CONSENT_GIVEN = "review_consent.given"
REVIEW_CONSENT_WITHDRAWN = "review_consent.withdrawn"
TASK_ASSIGNED = "task.assigned"
QUALITY_SCORED = "quality.scored"
PERFORMANCE_ANALYSED = "performance.analysed"
ROOT_CAUSES_GROUPED = "root_causes.grouped"
TASK_SUBMITTED = "task.submitted"
DISCUSSION_RECORDED = "discussion.recorded"
TASK_SIGNED = "task.signed"
TASK_REOPENED = "task.reopened"
REFERENCE_SCORED = "reference.scored"
KPI_TARGETS_SET = "kpi_targets.set"
CALLER_TYPING = "caller.typing"
CALLER_MOOD = "caller.mood"
# Issue 22: referrals onward, outbound calls, a call the adviser ends.
HANDOVER_WRITTEN = "handover.written"
CALL_DIALLED = "call.dialled"
CALL_ENDED = "call.ended"
CALLER_SCREEN = "caller.screen"  # guided digital help: the caller's simulated screen moved on (issue 22)

# The keys whose text append_event masks for card data (events/append.py ``mask_card_fields``); an
# event with one of them may also carry ``card_data``, which append_event adds itself.
MASKED_KEYS = ("text", "value", "given")
CARD_DATA = "card_data"


class UnknownEventType(ValueError):
    """The event type is not declared in the registry."""


class MalformedEvent(ValueError):
    """The event's data does not match its declaration; the message names the type and the field."""


@dataclass(frozen=True)
class FieldSpec:
    """One data field: the Python type(s) its value may have, and whether it must be present.

    ``choices`` limits the value to a closed set; ``items`` declares the elements of a list;
    ``fields`` declares the keys of a dict (each element of ``results``, of ``card_data``).
    ``bool`` is never accepted for ``int`` or ``float`` (nor an ``int`` for ``bool``).
    """

    types: tuple[type, ...]
    required: bool = True
    choices: tuple[Any, ...] | None = None
    items: FieldSpec | None = None
    fields: Mapping[str, FieldSpec] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.types, type):
            object.__setattr__(self, "types", (self.types,))
        if self.fields is not None:
            object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))


def req(*types: type, **kw: Any) -> FieldSpec:
    return FieldSpec(types, True, **kw)


def opt(*types: type, **kw: Any) -> FieldSpec:
    return FieldSpec(types, False, **kw)


# The record ``card_data`` holds: what was masked (compliance/pci.py ``mask_card_data``).
CARD_DATA_SPEC = opt(
    list, items=req(dict, fields={"kind": req(str, choices=("card_number", "card_security_code")), "masked": req(str)})
)

Refs = Mapping[int, str]  # customer id -> customer reference (e.g. 7 -> "cust-0007")


@dataclass(frozen=True)
class SessionMapping:
    """How an event appears in ``crm-sandbox/session@1`` (compliance/document.py, docs/session-format.md).

    ``required``: the data keys a session reader demands (compliance/document.py ``EVENT_TYPES``).
    ``documented``: the optional keys docs/session-format.md names. Every other key is exported as it
    is and readers ignore it. ``export``: how the data is rewritten for the document (ids become
    references), or None when it is exported unchanged.
    """

    required: tuple[str, ...] = ()
    documented: tuple[str, ...] = ()
    export: Callable[[dict, Refs], dict] | None = None


@dataclass(frozen=True)
class EventType:
    """One event type: its name, its data, its label, its description and its session mapping."""

    name: str
    label: str  # short, sentence case: the "What" column of the printable record and the PDF
    fields: Mapping[str, FieldSpec]
    describe: Callable[[Mapping[str, Any]], str]  # one line about the event, from its data
    session: SessionMapping
    actors: AbstractSet[str]  # who records it today (informational: validate does not check the actor)
    body_keys: tuple[str, ...] = ()  # the free text people typed, shown under the description

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "actors", frozenset(self.actors))

    @property
    def masks_card_data(self) -> bool:
        """Whether append_event masks card data in this event (and may add ``card_data``)."""
        return any(key in self.fields for key in MASKED_KEYS)

    @property
    def allowed(self) -> Mapping[str, FieldSpec]:
        """The declared fields, with ``card_data`` where append_event may add it."""
        if self.masks_card_data and CARD_DATA not in self.fields:
            return MappingProxyType({**self.fields, CARD_DATA: CARD_DATA_SPEC})
        return self.fields


# ---- wording helpers (stdlib only; amounts and counts are crm_sandbox/formatting.py's, as on every page)


def _words(value: object) -> str:
    """ "address_line1" -> "address line 1", "account_number_last4" -> "account number last 4"."""
    return "" if value is None else re.sub(r"(?<=[a-z])(?=\d)", " ", str(value).replace("_", " "))


def _quote(value: object) -> str:
    return f"\u201c{'' if value is None else value}\u201d"


# ---- the session mapping's rewrites (used by queries/session_export.py ``export_event``)


def _export_viewed(data: dict, refs: Refs) -> dict:
    """The record by reference, as ``customer.id`` is one."""
    if "customer_id" in data:
        cid = data["customer_id"]
        data["customer_id"] = data.get("customer_ref") or refs.get(cid, str(cid))
    return data


def _export_searched(data: dict, refs: Refs) -> dict:
    """The records the search listed, by reference."""
    if isinstance(data.get("results"), list):
        data["results"] = [r["ref"] if isinstance(r, Mapping) else r for r in data["results"]]
    return data


# ---- the descriptions, one per type


def _viewed(d: Mapping[str, Any]) -> str:
    state = "verified, full record" if d.get("verified") else "not verified, masked"
    return f"Opened customer record {d.get('customer_ref', d.get('customer_id', ''))} ({state})"


def _idv_answer(d: Mapping[str, Any]) -> str:
    return (
        f"ID&V {_words(d.get('factor'))}: {_quote(d.get('given', ''))}"
        + (f" (read as {d['read']})" if d.get("read") else "")
        + f" \u2013 {'match' if d.get('match') else 'no match'}"
    )


def _idv_result(d: Mapping[str, Any]) -> str:
    if d.get("passed"):
        return "Verification passed"
    if d.get("reason") == "locked":
        return "Verification failed: locked after too many wrong answers"
    return f"Verification failed ({d['reason']})" if d.get("reason") else "Verification failed"


def _sent(d: Mapping[str, Any]) -> str:
    if d.get("public"):
        return "Public reply, visible to everyone" + (
            f" (canned response {d['template_id']})" if d.get("template_id") else ""
        )
    return "Message sent to the caller" + (f" (canned response {d['template_id']})" if d.get("template_id") else "")


def _received(d: Mapping[str, Any]) -> str:
    text = (
        "Public post by the customer, visible to everyone"
        if d.get("public")
        else "Message from the caller" + (f" (typed by {d['played_by']})" if d.get("played_by") else "")
    )
    return text + (", who ended the contact" if d.get("ends") else "")


def _typing(d: Mapping[str, Any]) -> str:
    answers = ", ".join(f"#{n}" for n in d.get("reply_to") or [])
    if d.get("cancelled"):
        return f"The caller stopped typing: the reply to message {answers} was cancelled ({d['cancelled']})"
    return f"The caller started typing a reply to message {answers}" + (
        f" (due {str(d.get('due_at', ''))[11:19]} UTC)" if d.get("due_at") else ""
    )


def _mood(d: Mapping[str, Any]) -> str:
    moves = [
        f"{what} {'rose' if d.get(what, 0) > 0 else 'fell'} by {abs(d.get(what, 0))} to {d.get(what + '_now', '')}"
        for what in ("patience", "trust")
        if d.get(what)
    ]
    return f"The caller's {' and '.join(moves) or 'mood held'} after {d.get('reason', '')} (message #{d.get('message_seq', '')})"


def _updated(d: Mapping[str, Any]) -> str:
    what = _words(d.get("field", ""))
    return f"Changed {what} to {_quote(d['value'])}" if d.get("value") else f"Cleared {what}"


def _refund(d: Mapping[str, Any]) -> str:
    what = "Goodwill credit" if d.get("kind") == "goodwill" else "Refund"
    return f"{what} of {money(d.get('amount', ''))}" + (", above the authority limit" if d.get("over_limit") else "")


def _complaint(d: Mapping[str, Any]) -> str:
    told = "outcome explained to the customer" if d.get("outcome_communicated") else "outcome not yet explained"
    return f"Complaint logged ({told})"


def _handover(d: Mapping[str, Any]) -> str:
    return f"Referred the contact to {d.get('team') or 'another team'} with a handover note"


def _dialled(d: Mapping[str, Any]) -> str:
    return f"Dialled the {_words(d.get('field', 'phone'))} number on record {d.get('customer_ref', '')}".rstrip()


def _ended(d: Mapping[str, Any]) -> str:
    return f"Ended the call ({_words(d.get('reason', ''))})"


def _closed(d: Mapping[str, Any]) -> str:
    first = "resolved" if d.get("resolved") else "not resolved"
    return f"Closed with outcome {_quote(_words(d.get('outcome', '')))}, {first} at first contact"


_BODY = ("text",)

REGISTRY: Mapping[str, EventType] = MappingProxyType(
    {
        t.name: t
        for t in (
            EventType(
                CONTACT_OPENED,
                "Contact opened",
                {},
                lambda d: "Took the contact from the queue",
                SessionMapping(),
                {"learner"},
            ),
            EventType(
                CUSTOMER_SEARCHED,
                "Customer search",
                {
                    "query": req(str),
                    # optional: searches recorded before results were kept have none (the desk searches again)
                    "results": opt(list, items=req(dict, fields={"id": req(int), "ref": req(str)})),
                },
                lambda d: f"Searched customers for {_quote(d.get('query', ''))}{results_count(d)}",
                SessionMapping(("query",), ("results",), _export_searched),
                {"learner"},
            ),
            EventType(
                CUSTOMER_VIEWED,
                "Customer record opened",
                {
                    "customer_id": req(int),
                    "customer_ref": req(str),
                    "fields": req(list, items=req(str)),
                    "verified": req(bool),
                },
                _viewed,
                SessionMapping(("customer_id",), (), _export_viewed),
                {"learner", "system"},
            ),
            EventType(
                IDV_ANSWER,
                "ID&V answer",
                {"factor": req(str), "given": req(str), "read": opt(str), "match": req(bool), "customer_id": req(int)},
                _idv_answer,
                SessionMapping(("factor", "given", "match")),
                {"learner"},
            ),
            EventType(
                IDV_RESULT,
                "ID&V result",
                {"passed": req(bool), "reason": opt(str, choices=("locked",))},
                _idv_result,
                SessionMapping(("passed",)),
                {"system"},
            ),
            EventType(
                MESSAGE_SENT,
                "Message sent",
                {"text": req(str), "template_id": opt(str), "subject": opt(str), "public": opt(bool)},
                _sent,
                SessionMapping(("text",), ("template_id", "public")),
                {"learner"},
                ("subject", "text"),
            ),
            EventType(
                MESSAGE_RECEIVED,
                "Message received",
                {
                    "text": req(str),
                    "subject": opt(str),
                    "ends": opt(bool),
                    "played_by": opt(str),
                    "typing_seq": opt(int),  # the ``caller.typing`` event this reply delivers
                    "public": opt(bool),  # a social-media post everyone can see (else a private message)
                },
                _received,
                SessionMapping(("text",), ("public",)),
                {"caller"},
                ("subject", "text"),
            ),
            EventType(
                NOTE_ADDED,
                "Note added",
                {"text": req(str), "outcome": opt(str)},
                lambda d: "Note added" + (f" (outcome: {_words(d['outcome'])})" if d.get("outcome") else ""),
                SessionMapping(("text",)),
                {"learner"},
                _BODY,
            ),
            EventType(
                NOTE_AMENDED,
                "Note amended",
                {"note_seq": req(int), "text": req(str), "reason": req(str)},
                lambda d: f"Amended note #{d.get('note_seq', '')} (reason: {d.get('reason', '')})",
                SessionMapping(("note_seq", "text", "reason")),
                {"learner"},
                _BODY,
            ),
            EventType(
                RECORD_UPDATED,
                "Record updated",
                # previous: the value it replaced (so a replay shows the record as it was); absent on
                # events recorded before it was kept
                {"field": req(str), "value": req(str), "previous": opt(str)},
                _updated,
                SessionMapping(("field", "value"), ("previous",)),
                {"learner"},
            ),
            EventType(
                REFUND_ISSUED,
                "Refund or credit",
                {
                    "amount": req(float, int),
                    "kind": req(str, choices=("refund", "goodwill")),
                    "reason": req(str),
                    "over_limit": opt(bool),
                },
                _refund,
                SessionMapping(("amount",)),
                {"learner"},
                ("reason",),
            ),
            EventType(
                COMPLAINT_RAISED,
                "Complaint raised",
                {"summary": req(str), "investigation": req(str), "remedy": req(str), "outcome_communicated": req(bool)},
                _complaint,
                SessionMapping(("summary",)),
                {"learner"},
                ("summary", "investigation", "remedy"),
            ),
            EventType(
                ESCALATED,
                "Escalated",
                {"reason": req(str)},
                lambda d: "Escalated to a supervisor",
                SessionMapping(("reason",)),
                {"learner"},
                ("reason",),
            ),
            EventType(
                KB_VIEWED,
                "Knowledge base article read",
                {"article": req(str), "title": req(str)},
                lambda d: f"Read the knowledge base article {_quote(d.get('title') or d.get('article', ''))}",
                SessionMapping(("article",)),
                {"learner"},
            ),
            EventType(
                OBSERVATION_ADDED,
                "Assessor's observation",
                {"text": req(str), "by": req(str)},
                lambda d: f"Observation by {d.get('by') or 'the assessor'}",
                SessionMapping(("text",)),
                {"assessor"},
                _BODY,
            ),
            EventType(
                ASSESSMENT_SIGNED,
                "Assessment signed off",
                {"version": req(int), "outcome": req(str), "by": req(str)},
                lambda d: (
                    f"Version {d.get('version')} signed off by {d.get('by') or 'the assessor'}: "
                    f"{_words(d.get('outcome', '')).capitalize()}"
                ),
                SessionMapping(("version", "outcome")),
                {"assessor"},
            ),
            EventType(
                ASSESSMENT_REOPENED,
                "Assessment reopened",
                {"version": req(int), "reason": req(str), "by": req(str)},
                lambda d: f"Version {d.get('version')} reopened (voided) by {d.get('by') or 'the assessor'}",
                SessionMapping(("version", "reason")),
                {"assessor"},
                ("reason",),
            ),
            EventType(
                ASSESSMENT_COUNTERSIGNED,
                "Assessment countersigned",
                {"version": req(int), "by": req(str)},
                lambda d: f"Version {d.get('version')} countersigned by {d.get('by') or 'a qualified assessor'}",
                SessionMapping(("version",)),
                {"assessor"},
            ),
            EventType(
                IQA_VERDICT,
                "IQA verdict",
                {"version": req(int), "verdict": req(str, choices=("agree", "disagree")), "by": req(str)},
                lambda d: (
                    f"Version {d.get('version')} sampled by {d.get('by') or 'the IQA'}: "
                    + ("agrees" if d.get("verdict") == "agree" else "disagrees, action required")
                ),
                SessionMapping(("version", "verdict")),
                {"iqa"},
            ),
            EventType(
                IQA_ANSWERED,
                "IQA verdict answered",
                {"version": req(int), "by": req(str)},
                lambda d: (
                    f"The IQA's verdict on version {d.get('version')} answered by {d.get('by') or 'the assessor'}"
                ),
                SessionMapping(("version",)),
                {"assessor"},
            ),
            EventType(
                CALLER_TYPING,
                "Caller typing",
                {
                    "text": req(str),  # the reply decided when the adviser's message was saved (shown once due)
                    "due_at": req(str),  # ISO 8601, UTC
                    "reply_to": req(list, items=req(int)),  # the adviser's messages it answers (by seq)
                    "replaces": opt(int),  # an earlier typing event this one supersedes (a message sent meanwhile)
                    "ends": opt(bool),
                    "subject": opt(str),
                    # Set when this event only stops the caller typing: the reply it ``replaces`` is never
                    # delivered (an assessor took over the caller), and ``text`` is empty.
                    "cancelled": opt(str),
                },
                _typing,
                SessionMapping((), ("due_at", "reply_to")),
                {"caller"},
            ),
            EventType(
                CALLER_MOOD,
                "Caller's mood",
                {
                    "cause": req(str),  # an intent of seed/dialogue/general.yaml, or "repeated_question"
                    "reason": req(str),  # how the review names it: "the apology"
                    "patience": req(int),  # the change (+ rose, - fell)
                    "trust": req(int),
                    "patience_now": req(int),
                    "trust_now": req(int),
                    "message_seq": req(int),  # the adviser's message that caused it: that is the evidence
                },
                _mood,
                SessionMapping(("cause", "message_seq")),
                {"caller"},
            ),
            EventType(
                HANDOVER_WRITTEN,
                "Handover note",
                {"team": req(str), "text": req(str)},
                _handover,
                SessionMapping(("team", "text")),
                {"learner"},
                _BODY,
            ),
            EventType(
                CALL_DIALLED,
                "Outbound call dialled",
                # the record's number is dialled by its field (never typed into the event): ``field``
                {"customer_id": req(int), "customer_ref": req(str), "field": req(str, choices=("phone",))},
                _dialled,
                SessionMapping(("customer_id",), ("field",), _export_viewed),
                {"learner"},
            ),
            EventType(
                CALL_ENDED,
                "Call ended by the adviser",
                {"reason": req(str, choices=("abusive", "silent", "other"))},
                _ended,
                SessionMapping(("reason",)),
                {"learner"},
            ),
            EventType(
                CALLER_SCREEN,
                "Caller's screen",
                {
                    "step": req(str),  # the scenario's screen step (scenarios/dialogue/screen.py)
                    "shows": req(str),  # what the caller now sees
                    "message_seq": req(int),  # the adviser's instruction that moved it: that is the evidence
                },
                lambda d: (
                    f"The caller's screen moved on after message #{d.get('message_seq', '')}: {d.get('shows', '')}"
                ),
                SessionMapping(("step", "message_seq"), ("shows",)),
                {"caller"},
            ),
            EventType(
                CONTACT_CLOSED,
                "Contact closed",
                {"outcome": req(str), "resolved": req(bool)},
                _closed,
                SessionMapping(("outcome", "resolved")),
                {"learner"},
            ),
        )
    }
)

_BODY_LABELS = {"subject": "Subject", "investigation": "Investigation", "remedy": "Remedy"}


def _level3(name: str, label: str, fields: Mapping[str, FieldSpec], describe: Callable, actors: set) -> EventType:
    return EventType(name, label, fields, describe, SessionMapping(), actors)


def _scored(d: Mapping[str, Any]) -> str:
    failed = d.get("auto_fails") or []
    return f"Scored {d.get('item', '')} on the {d.get('scorecard', '')} scorecard: " + (
        f"auto-fail ({', '.join(map(str, failed))})" if failed else f"{d.get('score', 0)}%"
    )


_GROUP = req(dict, fields={"cause": req(str), "complaints": req(list, items=req(str)), "action": req(str)})
_ENTRY = {
    "question": req(str),
    "answer": req(str),
    "judgement": req(str, choices=("met", "not_met")),
    "criteria": req(list, items=req(str)),
    "by": req(str),
}
LEVEL3_REGISTRY: Mapping[str, EventType] = MappingProxyType(
    {
        t.name: t
        for t in (
            _level3(
                REVIEW_CONSENT_GIVEN,
                "Opted in to reviews",
                {},
                lambda d: "Opted in: closed contacts may be reviewed",
                {"learner"},
            ),
            _level3(
                REVIEW_CONSENT_WITHDRAWN,
                "Opt-in withdrawn",
                {},
                lambda d: "Withdrew the opt-in to reviews",
                {"learner"},
            ),
            _level3(
                TASK_ASSIGNED,
                "Task assigned",
                {"kind": req(str), "title": req(str), "by": req(str)},
                lambda d: f"{d.get('title', '')} assigned by {d.get('by', '')}",
                {"trainer", "assessor"},
            ),
            _level3(
                QUALITY_SCORED,
                "Contact scored",
                {
                    "item": req(str),
                    "scorecard": req(str),
                    "scores": req(dict),
                    "auto_fails": req(list, items=req(str)),
                    "score": req(int),
                    "feedback": req(str),
                },
                _scored,
                {"learner"},
            ),
            _level3(
                PERFORMANCE_ANALYSED,
                "Performance analysed",
                {
                    "measure": req(str),
                    "agent": req(str),
                    "cause": req(str),
                    "contacts": req(list, items=req(str)),
                    "action": req(str),
                },
                lambda d: f"Named {d.get('measure', '')} as underperforming, with its cause and an action",
                {"learner"},
            ),
            _level3(
                ROOT_CAUSES_GROUPED,
                "Complaints grouped by root cause",
                {"groups": req(list, items=_GROUP)},
                lambda d: f"Grouped the complaints under {len(d.get('groups') or [])} root cause(s)",
                {"learner"},
            ),
            _level3(TASK_SUBMITTED, "Task submitted", {}, lambda d: "Submitted for assessment", {"learner"}),
            _level3(
                DISCUSSION_RECORDED,
                "Question recorded",
                _ENTRY,
                lambda d: f"Question asked by {d.get('by', '')}, judged {_words(d.get('judgement', ''))}",
                {"assessor"},
            ),
            _level3(
                TASK_SIGNED,
                "Task signed off",
                {"outcome": req(str), "feedback": req(str), "criteria": req(dict), "by": req(str)},
                lambda d: f"Signed off by {d.get('by', '')}: {_words(d.get('outcome', '')).capitalize()}",
                {"assessor", "trainer"},
            ),
            _level3(
                TASK_REOPENED,
                "Task reopened",
                {"reason": req(str), "by": req(str)},
                lambda d: f"Sign-off voided by {d.get('by', '')}: the task is open to assessment again",
                {"assessor", "trainer"},
            ),
            _level3(
                REFERENCE_SCORED,
                "Reference scoring",
                {"scorecard": req(str), "scores": req(dict), "auto_fails": req(list, items=req(str)), "by": req(str)},
                lambda d: f"Reference scoring by {d.get('by', '')}",
                {"trainer"},
            ),
            _level3(
                KPI_TARGETS_SET,
                "KPI targets set",
                {"targets": req(dict), "by": req(str)},
                lambda d: f"KPI targets set by {d.get('by', '')}",
                {"trainer"},
            ),
        )
    }
)


def validate_level3(type: str, data: Mapping[str, Any] | None) -> None:
    """``validate`` for the types of Level 3 streams (LEVEL3_REGISTRY)."""
    declared = LEVEL3_REGISTRY.get(type)
    if declared is None:
        raise UnknownEventType(f"unknown Level 3 event type {type!r}")
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise MalformedEvent(f"{type}: data must be an object, got {data.__class__.__name__}")
    _check_fields(declared.fields, data, type)


def describe_level3(event: Any) -> str:
    """One plain-English line about a Level 3 event."""
    type, data = _parts(event)
    declared = LEVEL3_REGISTRY.get(type)
    return declared.describe(data) if declared else str(type)


def event_type(type: str) -> EventType:
    """The declaration of ``type``, or UnknownEventType."""
    try:
        return REGISTRY[type]
    except (KeyError, TypeError):
        raise UnknownEventType(f"unknown event type {type!r}") from None


def _type_names(types: tuple[type, ...]) -> str:
    names = {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "an object",
    }
    shown = [t for t in types if not (t is int and float in types)]  # a number includes whole ones
    return " or ".join(names.get(t, t.__name__) for t in shown)


def _check(spec: FieldSpec, value: Any, etype: str, path: str) -> None:
    if isinstance(value, bool):
        ok = bool in spec.types
    else:
        ok = isinstance(value, spec.types) or (dict in spec.types and isinstance(value, Mapping))
    if not ok:
        raise MalformedEvent(
            f"{etype}: field {path!r}: expected {_type_names(spec.types)}, got {value.__class__.__name__}"
        )
    if spec.choices is not None and value not in spec.choices:
        raise MalformedEvent(
            f"{etype}: field {path!r}: expected one of {', '.join(map(repr, spec.choices))}, got {value!r}"
        )
    if spec.items is not None:
        for i, item in enumerate(value):
            _check(spec.items, item, etype, f"{path}[{i}]")
    if spec.fields is not None:
        _check_fields(spec.fields, value, etype, f"{path}.")


def _check_fields(fields: Mapping[str, FieldSpec], data: Mapping, etype: str, prefix: str = "") -> None:
    for key in data:
        if key not in fields:
            raise MalformedEvent(f"{etype}: unknown field {prefix + str(key)!r}")
    for key, spec in fields.items():
        if key in data:
            _check(spec, data[key], etype, prefix + key)
        elif spec.required:
            raise MalformedEvent(f"{etype}: missing field {prefix + key!r}")


def validate(type: str, data: Mapping[str, Any] | None) -> None:
    """Check that ``data`` is what a ``type`` event carries; raise UnknownEventType or MalformedEvent.

    Refused: an undeclared type; data that is not an object; a required field missing; a field the
    type does not declare; a value of the wrong type or outside its choices. ``None`` is read as ``{}``
    (as append_event does). ``card_data`` is allowed on the types whose text append_event masks.
    """
    declared = event_type(type)
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise MalformedEvent(f"{type}: data must be an object, got {data.__class__.__name__}")
    _check_fields(declared.allowed, data, type)


def _parts(event: Any) -> tuple[str, Mapping[str, Any]]:
    """(type, data) of an Event row, a session Event, or a plain dict with ``type`` and ``data``."""
    if isinstance(event, Mapping):
        return event.get("type", ""), event.get("data") or {}
    return event.type, event.data or {}


def label(type: str) -> str:
    """The short label of ``type`` ("Note added"); an undeclared type is shown as itself."""
    declared = REGISTRY.get(type)
    return declared.label if declared else str(type)


def describe(event: Any) -> str:
    """One plain-English line about ``event`` (an Event, a session Event or a dict with type and data).

    Tolerant of data recorded before a field existed; an undeclared type is shown as its name, so an
    old log can always be displayed (validate is what refuses new ones).
    """
    type, data = _parts(event)
    declared = REGISTRY.get(type)
    if declared is None:
        return str(type)
    line = declared.describe(data)
    place = _place(event)
    if type == ESCALATED and place:  # the reference is derived from where the event is, not its data
        line += f", reference {escalation_reference(*place)}"
    return line


def _place(event: Any) -> tuple[int, int] | None:
    """(contact id, seq) of a recorded event; None for a session event or a plain dict."""
    contact_id, seq = getattr(event, "contact_id", None), getattr(event, "seq", None)
    return (contact_id, seq) if isinstance(contact_id, int) and isinstance(seq, int) else None


def body(event: Any) -> str:
    """The words someone typed in ``event`` (message, note, reason, complaint), '' for none.

    Shown under the description (the timeline's text, the record's and the PDF's second line);
    ``subject``, ``investigation`` and ``remedy`` are labelled, the rest is the text as typed.
    """
    type, data = _parts(event)
    declared = REGISTRY.get(type)
    if declared is None:
        return ""
    lines = []
    for key in declared.body_keys:
        value = data.get(key)
        if value:
            lines.append(f"{_BODY_LABELS[key]}: {value}" if key in _BODY_LABELS else str(value))
    return "\n".join(lines)


def session_data(type: str, data: Mapping[str, Any], refs: Refs | None = None) -> dict:
    """The event's data as ``crm-sandbox/session@1`` carries it (a new dict; ``data`` is unchanged).

    ``refs`` maps customer ids to references for events recorded before ``customer_ref`` was kept.
    """
    mapping = event_type(type).session
    out = dict(data)
    return mapping.export(out, refs or {}) if mapping.export else out


def session_required_keys() -> dict[str, tuple[str, ...]]:
    """Type -> the data keys a session@1 reader requires (what compliance/document.py EVENT_TYPES says)."""
    return {name: t.session.required for name, t in REGISTRY.items()}


__all__ = [
    "CARD_DATA",
    "CARD_DATA_SPEC",
    "MASKED_KEYS",
    "REGISTRY",
    "LEVEL3_REGISTRY",
    "EventType",
    "FieldSpec",
    "MalformedEvent",
    "SessionMapping",
    "UnknownEventType",
    "body",
    "describe",
    "event_type",
    "label",
    "session_data",
    "session_required_keys",
    "validate",
    "validate_level3",
    "describe_level3",
    "CONTACT_OPENED",
    "CONTACT_CLOSED",
    "CUSTOMER_SEARCHED",
    "CUSTOMER_VIEWED",
    "IDV_ANSWER",
    "IDV_RESULT",
    "MESSAGE_SENT",
    "MESSAGE_RECEIVED",
    "NOTE_ADDED",
    "NOTE_AMENDED",
    "RECORD_UPDATED",
    "REFUND_ISSUED",
    "COMPLAINT_RAISED",
    "ESCALATED",
    "KB_VIEWED",
    "OBSERVATION_ADDED",
    "ASSESSMENT_SIGNED",
    "ASSESSMENT_REOPENED",
    "ASSESSMENT_COUNTERSIGNED",
    "IQA_VERDICT",
    "IQA_ANSWERED",
    "REVIEW_CONSENT_GIVEN",
    "REVIEW_CONSENT_WITHDRAWN",
    "TASK_ASSIGNED",
    "QUALITY_SCORED",
    "PERFORMANCE_ANALYSED",
    "ROOT_CAUSES_GROUPED",
    "TASK_SUBMITTED",
    "DISCUSSION_RECORDED",
    "TASK_SIGNED",
    "TASK_REOPENED",
    "REFERENCE_SCORED",
    "KPI_TARGETS_SET",
    "CALLER_TYPING",
    "CALLER_MOOD",
    "CALLER_SCREEN",
]
