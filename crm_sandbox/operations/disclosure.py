"""Who saw what: recording each display of a customer's personal data (a ``data_view`` row).

One row per page render, report or export: who (``viewer``, None for an operator at the command line),
their role, which fields, and whether they were entitled to see them at that moment. The views call these
after the page, PDF or file is built and before it is sent, so what leaves the server is always recorded
(if the record cannot be written, nothing is shown: the error page says so). Each call is one small write
transaction: an insert and its ledger leaf.

Entitlement:

- a learner sees a record's names before ID&V (enough to pick the right record) and its account fields
  only once the caller passed ID&V on that contact for that record; the compare mode's "On file" answers
  before ID&V are **not** entitled (``docs/security.md``);
- staff (an assessor of the cohort, a trainer) are entitled to a contact the learner has worked on (opened,
  live or closed) for observation and assessment; a contact still queued, never opened, has nothing to
  assess, so showing its customer is recorded as not entitled;
- a learner's released report, the reports and exports of staff: entitled (access control let them).
"""

from collections.abc import Sequence
from pathlib import PurePosixPath

from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.events.append import contact_events
from crm_sandbox.extensions import db
from crm_sandbox.models import ArchivedPack, Cohort, Contact, DataView, Event, User
from crm_sandbox.queries import disclosure as q
from crm_sandbox.queries.review import opened_contacts
from crm_sandbox.queries.session_export import disclosed_customer_fields
from crm_sandbox.queries.workspace import Workspace

OPERATOR = "operator"  # the role recorded for the command line (no signed-in user)


def _row(
    viewer: User | None,
    kind: str,
    fields: Sequence[str],
    entitled: bool,
    *,
    cohort_id: int | None,
    contact: Contact | None = None,
    customer_id: int | None = None,
    refs: Sequence[str] = (),
    detail: str = "",
) -> DataView:
    return DataView(
        user_id=viewer.id if viewer else None,
        role=viewer.role if viewer else OPERATOR,
        cohort_id=cohort_id,
        contact_id=contact.id if contact else None,
        customer_id=customer_id,
        customers=q.packed(refs),
        kind=kind,
        fields=list(dict.fromkeys(fields)),
        entitled=entitled,
        detail=detail[:2000],
    )


def record(*rows: DataView) -> list[DataView]:
    """Write the rows in one write transaction (their ledger leaves with them); nothing on a database not
    yet upgraded to have the table (``queries.disclosure.recording_enabled``)."""
    if not q.recording_enabled():
        return list(rows)
    with write_transaction():
        db.session.add_all(rows)
    return list(rows)


def staff_entitled(contact: Contact) -> tuple[bool, str]:
    """Whether staff may be shown the contact's customer now, and why (see the module docstring)."""
    if contact.status == "queued":
        return False, "contact still queued: the learner has not opened it, so there is nothing to observe or assess"
    return True, f"{contact.status} contact of the cohort"


def desk_view(viewer: User, ws: Workspace, compare: Sequence[str]) -> list[DataView]:
    """The learner desk as just rendered for ``ws``: the search results listed (live contacts), and the
    record panel (``learner-record`` the first time these fields of this record are shown to this learner
    on this contact, ``learner-repeat`` after), with the compare mode's "On file" answers (``compare``)."""
    contact, rows = ws.contact, []
    if contact.status != "closed" and ws.search_hits:
        hits = ws.search_hits
        rows.append(
            _row(
                viewer,
                "search-results",
                q.SEARCH_RESULT_FIELDS,
                True,
                cohort_id=contact.cohort_id,
                contact=contact,
                refs=[h.ref for h in hits],
                detail=f"{len(hits)} record(s) listed",
            )
        )
    record_ = ws.record
    if record_ is not None:
        fields = q.desk_record_fields(ws.verified, compare)
        entitled = not compare  # names always; account fields only once verified; "On file" answers never
        last = q.last_desk_fields(contact.id, viewer.id, record_.id)
        kind = "learner-repeat" if last == fields else "learner-record"
        state = "verified" if ws.verified else "not verified" if not ws.idv.locked else "ID&V locked"
        why = f"ID&V {state}"
        if compare:
            why += "; the policy's compare mode showed the answers on file before ID&V"
        if contact.status == "closed":
            why += "; contact closed"
        rows.append(
            _row(
                viewer,
                kind,
                fields,
                entitled,
                cohort_id=contact.cohort_id,
                contact=contact,
                customer_id=record_.id,
                refs=[record_.ref],
                detail=why,
            )
        )
    return record(*rows) if rows else []


def observe_view(viewer: User, contact: Contact, events: Sequence[Event]) -> DataView:
    """The live observation page: the account holder's details in the role-player console, and the timeline."""
    entitled, why = staff_entitled(contact)
    return record(
        _row(
            viewer,
            "observe",
            [*q.OBSERVE_FIELDS, *q.event_fields(events)],
            entitled,
            cohort_id=contact.cohort_id,
            contact=contact,
            customer_id=contact.customer_id,
            refs=[contact.customer.ref],
            detail=why,
        )
    )[0]


def contact_view(
    viewer: User, kind: str, contact: Contact, events: Sequence[Event], also: Sequence[str] = ()
) -> DataView:
    """A review, a report (page or PDF) of one contact: the customer's names and what the timeline shows
    (``also``: more of the record the page shows, e.g. the replay's "transactions" and "history")."""
    entitled, why = (True, "the learner's own released report") if viewer.role == "learner" else staff_entitled(contact)
    return record(
        _row(
            viewer,
            kind,
            [*disclosed_customer_fields(contact, list(events)), *also, *q.event_fields(events)],
            entitled,
            cohort_id=contact.cohort_id,
            contact=contact,
            customer_id=contact.customer_id,
            refs=[contact.customer.ref],
            detail=why,
        )
    )[0]


def learner_view(
    viewer: User | None, kind: str, learner: User, contacts: Sequence[tuple[Contact, Sequence[Event]]], detail: str = ""
) -> DataView:
    """A learner-wide report or evidence pack: every contact it carries, with the fields it shows."""
    fields: list[str] = []
    for contact, events in contacts:
        fields += [*disclosed_customer_fields(contact, list(events)), *q.event_fields(events)]
    return record(
        _row(
            viewer,
            kind,
            fields,
            True,
            cohort_id=learner.cohort_id
            if learner.cohort_id is not None
            else (contacts[0][0].cohort_id if contacts else None),
            refs=[c.customer.ref for c, _ in contacts],
            detail=detail or f"{len(contacts)} contact(s) of learner #{learner.id}",  # no name: erasure-proof
        )
    )[0]


def export_view(viewer: User | None, contact: Contact, events: Sequence[Event], fields: Sequence[str]) -> DataView:
    """A session export of one contact (``fields``: the customer fields the document carries)."""
    return record(
        _row(
            viewer,
            "export",
            [*fields, *q.event_fields(events)],
            True,
            cohort_id=contact.cohort_id,
            contact=contact,
            customer_id=contact.customer_id,
            refs=[contact.customer.ref],
            detail="session export (flask export-session)" if viewer is None else "session export",
        )
    )[0]


def pack_view(viewer: User | None, learner: User, detail: str = "signed evidence pack") -> DataView:
    """A learner's evidence pack, downloaded (``viewer``) or written by ``flask export-pack`` (None): every
    opened contact's customer, cut to what the learner was shown, and the events."""
    contacts = [(c, contact_events(c.id)) for c in opened_contacts(learner)]
    return learner_view(viewer, "pack", learner, contacts, detail)


def timeline_update(viewer: User, contact: Contact, new_events: Sequence[Event]) -> DataView | None:
    """A live-observation poll that brought new events carrying customer data (ID&V answers, searches,
    the conversation): recorded like the page itself; nothing when the new events show none."""
    fields = q.event_fields(new_events)
    if not fields:
        return None
    entitled, why = staff_entitled(contact)
    return record(
        _row(
            viewer,
            "observe",
            fields,
            entitled,
            cohort_id=contact.cohort_id,
            contact=contact,
            customer_id=contact.customer_id,
            refs=[contact.customer.ref],
            detail=f"live timeline update ({why})",
        )
    )[0]


def subject_access_view(viewer: User, subject: User, doc: dict) -> DataView | None:
    """A subject-access export of ``subject``'s account, which carries the customer data of their
    contacts' timelines (what they typed and were told): recorded like any other export."""
    types = {e.get("type") for c in doc.get("contacts", []) for e in c.get("events", [])}
    fields = q.event_fields(Event(type=t, data={}) for t in types if t)
    if not fields:
        return None
    return record(
        _row(
            viewer,
            "subject-access",
            fields,
            True,
            cohort_id=subject.cohort_id,
            detail=f"subject-access export of account #{subject.id} ({len(doc.get('contacts', []))} contact(s))",
        )
    )[0]


def archive_view(viewer: User, kind: str, pack: ArchivedPack, refs: Sequence[str], fields: Sequence[str]) -> DataView:
    """An archived pack (``archived-pack``) or the learner report sealed in it (``archived-report``), opened
    after the cohort's reset: the customers its contacts carry (``refs``) and the fields it holds."""
    cohort_id = db.session.execute(select(Cohort.id).where(Cohort.name == pack.cohort_name)).scalar()
    return record(
        _row(
            viewer,
            kind,
            fields,
            True,
            cohort_id=cohort_id,
            refs=refs,
            detail=f"archive {PurePosixPath(pack.path).parent.name}, pack #{pack.id} (generation {pack.cohort_generation})",
        )
    )[0]
