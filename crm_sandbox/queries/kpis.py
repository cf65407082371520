"""Key performance indicators, derived from events. Pure functions: events in, figures out."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Any, Protocol


class Recorded(Protocol):
    """What the KPIs read of an event: a stored Event or the session document's."""

    type: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class ContactKpis:
    handling_seconds: float | None  # opened -> closed (AHT's unit)
    verify_seconds: float | None  # opened -> ID&V passed
    first_response_seconds: float | None  # opened -> the learner's first message
    resolved_first_time: bool | None  # from the wrap-up (FCR)
    findings: int


def _first(events: Sequence[Recorded], type_: str, **data: Any) -> datetime | None:
    for e in events:
        if e.type == type_ and all(e.data.get(k) == v for k, v in data.items()):
            return e.at
    return None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def contact_kpis(events: Sequence[Recorded], findings: int = 0) -> ContactKpis:
    """The KPIs of one contact from its events (objects with ``type``, ``at`` and ``data``)."""
    opened = _first(events, "contact.opened")
    closed = next((e for e in events if e.type == "contact.closed"), None)
    return ContactKpis(
        handling_seconds=_seconds(opened, closed.at if closed else None),
        verify_seconds=_seconds(opened, _first(events, "idv.result", passed=True)),
        first_response_seconds=_seconds(opened, _first(events, "message.sent")),
        resolved_first_time=bool(closed.data.get("resolved")) if closed else None,
        findings=findings,
    )


@dataclass(frozen=True)
class LearnerKpis:
    contacts_closed: int
    average_handling_seconds: float | None
    average_verify_seconds: float | None
    average_first_response_seconds: float | None
    first_contact_resolution: float | None  # share of closed contacts resolved first time, 0..1
    findings_per_contact: float | None


def _avg(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return mean(present) if present else None


def learner_kpis(per_contact: list[ContactKpis]) -> LearnerKpis:
    """Averages over a learner's closed contacts."""
    closed = [k for k in per_contact if k.resolved_first_time is not None]
    return LearnerKpis(
        contacts_closed=len(closed),
        average_handling_seconds=_avg(k.handling_seconds for k in closed),
        average_verify_seconds=_avg(k.verify_seconds for k in closed),
        average_first_response_seconds=_avg(k.first_response_seconds for k in closed),
        first_contact_resolution=_avg(1.0 if k.resolved_first_time else 0.0 for k in closed),
        findings_per_contact=_avg(k.findings for k in closed),
    )


def duration(seconds: float | None) -> str:
    """ "4:05" for 245 seconds; "–" when unknown."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
