"""Contact summaries: what the dashboard shows per contact, maintained as the contact changes.

Each event is folded in as it is appended (``fold``: its cost is the event's, not the contact's
history), and the findings by severity and the status are settled when the operation refreshes the
findings, or when a finding is decided or added by an assessor (``settle``). ``derive`` computes the same
values from scratch, from the events, findings and sign-offs, and ``rebuild`` stores them: ``flask
rebuild-summaries`` and the migration that added the table use it. The summary is a read model, never
evidence (``models/summary.py``).
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, inspect, or_, select
from sqlalchemy.orm import Session

from crm_sandbox.events.registry import CONTACT_CLOSED, CONTACT_OPENED, IDV_RESULT, MESSAGE_SENT
from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, ContactSummary, Event, Finding, FindingDecision
from crm_sandbox.models.summary import SEVERITIES

# The summary's columns other than its key: what ``derive`` returns and the rebuild test compares.
COLUMNS = tuple(c.name for c in ContactSummary.__table__.columns if c.name != "contact_id")
NEEDS_DATA = (IDV_RESULT, CONTACT_CLOSED)  # the only types whose data the summary reads


def empty(status: str = "queued") -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(COLUMNS)
    values.update(status=status, events=0, **{f"findings_{s}": 0 for s in SEVERITIES})
    return values


def fold_values(values: dict[str, Any], seq: int, type_: str, at: datetime, data: Mapping[str, Any]) -> None:
    """Fold one event into a summary's values (a dict of its columns), in place."""
    values["events"] = max(values["events"] or 0, seq)
    values["last_event_at"] = at
    if type_ == CONTACT_OPENED and values["opened_at"] is None:
        values["opened_at"] = at
    elif type_ == CONTACT_CLOSED and values["closed_at"] is None:
        values["closed_at"], values["resolved"] = at, bool(data.get("resolved"))
    elif type_ == IDV_RESULT and data.get("passed") is True and values["verified_at"] is None:
        values["verified_at"] = at
    elif type_ == MESSAGE_SENT and values["first_response_at"] is None:
        values["first_response_at"] = at


def enabled(session: Session | None = None) -> bool:
    """Whether the database has the summaries' table (an app on a database not yet upgraded keeps none, and
    its dashboard derives them as it reads: ``derived_rows``)."""
    if current_app.extensions.get("summaries_enabled"):
        return True
    found = inspect((session or db.session()).connection()).has_table(ContactSummary.__tablename__)
    if found:  # only a yes is kept: a database upgraded meanwhile (flask init-db) is noticed
        current_app.extensions["summaries_enabled"] = True
    return bool(found)


def summary_of(contact_id: int, session: Session | None = None) -> ContactSummary:
    """The contact's summary row, made (empty) if it has none yet."""
    session = session or db.session()
    row = session.get(ContactSummary, contact_id)
    if row is None:
        row = ContactSummary(contact_id=contact_id, **empty())
        session.add(row)
    return row


def fold(summary: ContactSummary, seq: int, type_: str, at: datetime, data: Mapping[str, Any]) -> None:
    """Fold one appended event into the stored summary (in the event's transaction)."""
    values = {c: getattr(summary, c) for c in COLUMNS}
    fold_values(values, seq, type_, at, data)
    for column, value in values.items():
        if getattr(summary, column) != value:
            setattr(summary, column, value)


def findings_by_severity(session: Session, contact_ids: Iterable[int]) -> dict[int, Counter[str]]:
    """Active findings whose standing decision (the newest) is not a dismissal, by contact and severity."""
    ids = select(Finding.id).where(Finding.contact_id.in_(list(contact_ids)))
    latest = (
        select(FindingDecision.finding_id, func.max(FindingDecision.id).label("id"))
        .where(FindingDecision.finding_id.in_(ids))
        .group_by(FindingDecision.finding_id)
        .subquery()
    )
    rows = session.execute(
        select(Finding.contact_id, Finding.severity, func.count(Finding.id))
        .outerjoin(latest, latest.c.finding_id == Finding.id)
        .outerjoin(FindingDecision, FindingDecision.id == latest.c.id)
        .where(
            Finding.id.in_(ids),
            Finding.active,
            or_(FindingDecision.decision.is_(None), FindingDecision.decision != "dismissed"),
        )
        .group_by(Finding.contact_id, Finding.severity)
    )
    found: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for contact_id, severity, n in rows:
        found[contact_id][severity] += n
    return found


def signed_off(session: Session, contact_ids: Iterable[int]) -> set[int]:
    """The contacts with a signed version that stands (not voided)."""
    return set(
        session.execute(
            select(Assessment.contact_id).where(
                Assessment.contact_id.in_(list(contact_ids)), Assessment.voided_at.is_(None)
            )
        ).scalars()
    )


def _settled(values: dict[str, Any], status: str, reviewed: bool, findings: Counter[str]) -> None:
    values["status"] = "reviewed" if reviewed else status
    for severity in SEVERITIES:
        values[f"findings_{severity}"] = findings.get(severity, 0)


def settle(contact_id: int, session: Session | None = None) -> ContactSummary | None:
    """Bring the summary's status and findings up to date (after a findings refresh, a decision, a sign-off)."""
    session = session or db.session()
    if not enabled(session):
        return None
    session.flush()  # the findings, decisions and sign-off of this transaction count
    summary = summary_of(contact_id, session)
    status = session.execute(select(Contact.status).where(Contact.id == contact_id)).scalar_one()
    values = {c: getattr(summary, c) for c in COLUMNS}
    _settled(
        values, status, bool(signed_off(session, [contact_id])), findings_by_severity(session, [contact_id])[contact_id]
    )
    for column, value in values.items():
        if getattr(summary, column) != value:
            setattr(summary, column, value)
    return summary


def derive(session: Session, contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Every listed contact's summary values computed from scratch from its events, findings and sign-offs."""
    statuses = dict(session.execute(select(Contact.id, Contact.status).where(Contact.id.in_(contact_ids))).all())
    values = {cid: empty() for cid in statuses}
    data = {
        (cid, seq): d
        for cid, seq, d in session.execute(
            select(Event.contact_id, Event.seq, Event.data).where(
                Event.contact_id.in_(contact_ids), Event.type.in_(NEEDS_DATA)
            )
        )
    }
    for cid, seq, type_, at in session.execute(
        select(Event.contact_id, Event.seq, Event.type, Event.at)
        .where(Event.contact_id.in_(contact_ids))
        .order_by(Event.contact_id, Event.seq)
    ):
        fold_values(values[cid], seq, type_, at, data.get((cid, seq), {}))
    reviewed = signed_off(session, contact_ids)
    findings = findings_by_severity(session, contact_ids)
    for cid, v in values.items():
        _settled(v, statuses[cid], cid in reviewed, findings.get(cid, Counter()))
    return values


def stored(session: Session, contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The summaries as maintained, for the same comparison as ``derive``. A contact with no row yet (still
    queued: nothing has been done on it) has the empty summary."""
    found = {
        row.contact_id: {c: getattr(row, c) for c in COLUMNS}
        for row in session.execute(select(ContactSummary).where(ContactSummary.contact_id.in_(contact_ids))).scalars()
    }
    statuses = session.execute(select(Contact.id, Contact.status).where(Contact.id.in_(contact_ids)))
    return {cid: found.get(cid) or empty(status) for cid, status in statuses}


def rebuild(
    session: Session, cohort_id: int | None = None, progress: Callable[[int], None] | None = None, batch: int = 500
) -> int:
    """Replace the summaries of every contact (of one cohort) with ones derived afresh; returns how many."""
    query = select(Contact.id).order_by(Contact.id)
    if cohort_id is not None:
        query = query.where(Contact.cohort_id == cohort_id)
    ids = list(session.execute(query).scalars())
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        values = derive(session, chunk)
        session.execute(delete(ContactSummary).where(ContactSummary.contact_id.in_(chunk)))
        if values:
            session.execute(insert(ContactSummary), [{"contact_id": cid, **v} for cid, v in values.items()])
        if progress:
            progress(len(chunk))
    session.expire_all()  # any summary loaded before is stale now
    return len(ids)


def derived_rows(session: Session, contact_ids: list[int]) -> dict[int, ContactSummary]:
    """Summaries derived now, not stored (for a database without the table yet)."""
    return {cid: ContactSummary(contact_id=cid, **v) for cid, v in derive(session, contact_ids).items()}
