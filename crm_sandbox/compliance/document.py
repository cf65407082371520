"""The session export ``crm-sandbox/session@1``: parse and validate a plain dict into frozen dataclasses.

The classes are the document's, not the database's: a :class:`SessionDocument` holds a
:class:`DocumentContact`, :class:`DocumentScenario`, :class:`DocumentPolicy`, :class:`DocumentCaller`
and :class:`DocumentEvent` objects (the models of the same concepts live in ``crm_sandbox.models``).

Readers ignore extra keys. Every problem raises :class:`SessionFormatError` whose message names the
exact place, e.g. ``events[3].type: unknown event type 'foo'`` or ``missing key 'customer'``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

FORMAT = "crm-sandbox/session@1"
# Input bounds: a real export is tens of kilobytes and nests about five deep.
MAX_SESSION_BYTES = 16 * 1024 * 1024
MAX_NESTING = 64
TOO_LARGE = f"too large: a session export is at most {MAX_SESSION_BYTES // (1024 * 1024)} MB (is this the right file?)"
TOO_DEEP = f"lists and objects nest more than {MAX_NESTING} deep: this is not a session export"
RELATIONSHIPS = ("account_holder", "third_party", "impostor")
# fmt: off
DATA_CATEGORIES = ("name", "date_of_birth", "address", "postcode", "email", "phone", "account_number", "sort_code",
                   "memorable_word", "password", "pin", "card_number", "card_security_code",
                   "national_insurance_number", "bank_details", "income", "employer", "health")
# fmt: on
# Event type -> the data keys it must carry (others are allowed and ignored).
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "contact.opened": (),
    "customer.searched": ("query",),
    "customer.viewed": ("customer_id",),
    "idv.answer": ("factor", "given", "match"),
    "idv.result": ("passed",),
    "message.sent": ("text",),
    "message.received": ("text",),
    "note.added": ("text",),
    "note.amended": ("note_seq", "text", "reason"),
    "record.updated": ("field", "value"),
    "refund.issued": ("amount",),
    "complaint.raised": ("summary",),
    "escalated": ("reason",),
    "kb.viewed": ("article",),
    "observation.added": ("text",),
    "assessment.signed": ("version", "outcome"),
    "assessment.reopened": ("version", "reason"),
    "assessment.countersigned": ("version",),
    "iqa.verdict": ("version", "verdict"),
    "iqa.answered": ("version",),
    "contact.closed": ("outcome", "resolved"),
    "caller.typing": (),
    "caller.mood": ("cause", "message_seq"),
    "handover.written": ("team", "text"),
    "call.dialled": ("customer_id",),
    "call.ended": ("reason",),
    "caller.screen": ("step", "message_seq"),
}
_TEXT_KEYS = {"text", "query", "summary", "reason", "article", "outcome", "field", "team"}
_BOOL_KEYS = {"match", "passed", "resolved"}
# fmt: off
CUSTOMER_FIELDS = ("full_name", "first_name", "last_name", "date_of_birth", "address_line1", "address_line2", "town",
                   "postcode", "email", "phone", "account_number", "sort_code", "memorable_word", "balance")
# fmt: on


class SessionFormatError(ValueError):
    """The document is not a valid ``crm-sandbox/session@1`` session; the message says where."""


@dataclass(frozen=True)
class DocumentContact:
    id: str
    channel: str
    learner: str


@dataclass(frozen=True)
class DocumentScenario:
    id: str
    title: str
    purpose: str
    needed_data: tuple[str, ...]
    requires_escalation: bool


@dataclass(frozen=True)
class DocumentPolicy:
    idv_factors: tuple[str, ...]
    idv_required: int
    lockout_attempts: int
    late_log_minutes: float
    authority_limit: Decimal


@dataclass(frozen=True)
class DocumentCaller:
    relationship: str
    authorised: bool


@dataclass(frozen=True)
class DocumentEvent:
    seq: int
    at: datetime
    actor: str
    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class SessionDocument:
    contact: DocumentContact
    scenario: DocumentScenario
    policy: DocumentPolicy
    caller: DocumentCaller
    customer: Mapping[str, str]  # id plus the known personal values, all as strings
    events: tuple[DocumentEvent, ...]

    @property
    def customer_id(self) -> str:
        return self.customer["id"]


def _need(obj: Mapping, key: str, where: str) -> Any:
    if key not in obj:
        raise SessionFormatError(f"{where}missing key '{key}'")
    return obj[key]


def _mapping(value: Any, where: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise SessionFormatError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SessionFormatError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SessionFormatError(f"{where}: expected true or false, got {value!r}")
    return value


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SessionFormatError(f"{where}: expected a whole number of at least {minimum}, got {value!r}")
    return value


def parse_amount(value: Any, where: str) -> Decimal:
    """A money amount given as a number or a numeric string ("75", "75.00", "£1,250.50")."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SessionFormatError(f"{where}: expected an amount, got {value!r}")
    text = str(value).replace("£", "").replace(",", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise SessionFormatError(f"{where}: expected an amount, got {value!r}") from None
    if not amount.is_finite():
        raise SessionFormatError(f"{where}: expected an amount, got {value!r}")
    return amount


def _timestamp(value: Any, where: str) -> datetime:
    text = _str(value, where)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SessionFormatError(f"{where}: not an ISO 8601 timestamp: {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _section(doc: Mapping, key: str) -> Mapping:
    return _mapping(_need(doc, key, ""), key)


def _parse_scenario(raw: Mapping) -> DocumentScenario:
    needed = _need(raw, "needed_data", "scenario: ")
    if not isinstance(needed, list):
        raise SessionFormatError("scenario.needed_data: expected a list of data categories")
    for i, cat in enumerate(needed):
        if cat not in DATA_CATEGORIES:
            raise SessionFormatError(f"scenario.needed_data[{i}]: unknown data category {cat!r}")
    return DocumentScenario(
        id=_str(_need(raw, "id", "scenario: "), "scenario.id"),
        title=_str(raw.get("title", ""), "scenario.title"),
        purpose=_str(raw.get("purpose", ""), "scenario.purpose"),
        needed_data=tuple(needed),
        requires_escalation=_bool(_need(raw, "requires_escalation", "scenario: "), "scenario.requires_escalation"),
    )


def _parse_policy(raw: Mapping) -> DocumentPolicy:
    factors = _need(raw, "idv_factors", "policy: ")
    if not isinstance(factors, list) or not all(isinstance(f, str) for f in factors):
        raise SessionFormatError("policy.idv_factors: expected a list of factor names")
    late = _need(raw, "late_log_minutes", "policy: ")
    if isinstance(late, bool) or not isinstance(late, (int, float)) or late < 0:
        raise SessionFormatError(f"policy.late_log_minutes: expected a number of at least 0, got {late!r}")
    limit = parse_amount(_need(raw, "authority_limit", "policy: "), "policy.authority_limit")
    return DocumentPolicy(
        idv_factors=tuple(factors),
        idv_required=_int(_need(raw, "idv_required", "policy: "), "policy.idv_required", 1),
        lockout_attempts=_int(_need(raw, "lockout_attempts", "policy: "), "policy.lockout_attempts", 1),
        late_log_minutes=float(late),
        authority_limit=limit,
    )


def _parse_caller(raw: Mapping) -> DocumentCaller:
    rel = _need(raw, "relationship", "caller: ")
    if rel not in RELATIONSHIPS:
        raise SessionFormatError(f"caller.relationship: expected one of {', '.join(RELATIONSHIPS)}, got {rel!r}")
    return DocumentCaller(relationship=rel, authorised=_bool(_need(raw, "authorised", "caller: "), "caller.authorised"))


def _parse_customer(raw: Mapping) -> Mapping[str, str]:
    values = {"id": _str(_need(raw, "id", "customer: "), "customer.id")}
    for key in CUSTOMER_FIELDS:
        value = raw.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise SessionFormatError(f"customer.{key}: expected a string, got {type(value).__name__}")
        values[key] = str(value)
    return MappingProxyType(values)


def _parse_event(raw: Any, i: int) -> DocumentEvent:
    where = f"events[{i}]"
    raw = _mapping(raw, where)
    seq = _int(_need(raw, "seq", f"{where}: "), f"{where}.seq", 0)
    etype = _str(_need(raw, "type", f"{where}: "), f"{where}.type")
    if etype not in EVENT_TYPES:
        raise SessionFormatError(f"{where}.type: unknown event type {etype!r}")
    data = _mapping(raw.get("data", {}), f"{where}.data")
    for key in EVENT_TYPES[etype]:
        value = _need(data, key, f"{where}.data: ")
        if key in _TEXT_KEYS:
            _str(value, f"{where}.data.{key}")
        elif key in _BOOL_KEYS:
            _bool(value, f"{where}.data.{key}")
    if etype == "refund.issued":
        parse_amount(data["amount"], f"{where}.data.amount")
    if etype == "note.amended":
        _int(data["note_seq"], f"{where}.data.note_seq")
    return DocumentEvent(
        seq=seq,
        at=_timestamp(_need(raw, "at", f"{where}: "), f"{where}.at"),
        actor=_str(raw.get("actor", ""), f"{where}.actor"),
        type=etype,
        data=MappingProxyType(dict(data)),
    )


def parse_session(doc: Any) -> SessionDocument:
    """Validate a parsed JSON document and return a :class:`SessionDocument`; raises SessionFormatError."""
    if isinstance(doc, SessionDocument):
        return doc
    doc = _mapping(doc, "document")
    fmt = _need(doc, "format", "")
    if fmt != FORMAT:
        raise SessionFormatError(f"format: expected {FORMAT!r}, got {fmt!r}")
    contact = _section(doc, "contact")
    raw_events = _need(doc, "events", "")
    if not isinstance(raw_events, list):
        raise SessionFormatError("events: expected a list of events")
    events = [_parse_event(raw, i) for i, raw in enumerate(raw_events)]
    seen: dict[int, int] = {}
    for i, ev in enumerate(events):
        if ev.seq in seen:
            raise SessionFormatError(f"events[{i}].seq: duplicate seq {ev.seq} (also events[{seen[ev.seq]}])")
        seen[ev.seq] = i
    return SessionDocument(
        contact=DocumentContact(
            id=_str(_need(contact, "id", "contact: "), "contact.id"),
            channel=_str(contact.get("channel", ""), "contact.channel"),
            learner=_str(contact.get("learner", ""), "contact.learner"),
        ),
        scenario=_parse_scenario(_section(doc, "scenario")),
        policy=_parse_policy(_section(doc, "policy")),
        caller=_parse_caller(_section(doc, "caller")),
        customer=_parse_customer(_section(doc, "customer")),
        events=tuple(sorted(events, key=lambda e: e.seq)),
    )


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            return depth
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _read_bounded(path: Path) -> str:
    """The file's text, reading at most MAX_SESSION_BYTES (+1 to tell that it is longer): a file of
    several gigabytes, /dev/zero or a pipe that never ends is refused without being read whole."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SESSION_BYTES + 1)
    except OSError as exc:
        raise SessionFormatError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if len(raw) > MAX_SESSION_BYTES:
        raise SessionFormatError(f"{path}: {TOO_LARGE}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SessionFormatError(f"{path}: cannot read file (not UTF-8 text at byte {exc.start})") from None


def parse_json_text(text: str, name: str = "session") -> Any:
    """JSON text within the size and nesting limits, parsed; SessionFormatError saying why otherwise."""
    if len(text) > MAX_SESSION_BYTES:
        raise SessionFormatError(f"{name}: {TOO_LARGE}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionFormatError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # nested far deeper than the limit: the parser ran out of stack
        raise SessionFormatError(f"{name}: {TOO_DEEP}") from None
    if nesting_depth(doc) > MAX_NESTING:
        raise SessionFormatError(f"{name}: {TOO_DEEP}")
    return doc


def load_session(source: str | Path) -> SessionDocument:
    """A :class:`SessionDocument` from a file path, or from JSON text (anything starting with ``{``).

    Bounded: at most MAX_SESSION_BYTES are read, and lists and objects may nest MAX_NESTING deep.
    """
    if isinstance(source, str) and source.lstrip().startswith("{"):
        text, name = source, "session"
    else:
        path = Path(source)
        text, name = _read_bounded(path), str(path)
    return parse_session(parse_json_text(text, name))
