"""Who saw what, read side: which customer fields a page shows (so the view can be recorded), and the
disclosure record of a contact, a customer or a cohort for the trainer's and IQA's pages.

The recording itself is ``operations/disclosure.py``; the rows are ``models/disclosure.py``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, and_, inspect, or_, select

from crm_sandbox.errors import NotAllowed, NotFound
from crm_sandbox.events.registry import (
    CUSTOMER_SEARCHED,
    IDV_ANSWER,
    MESSAGE_RECEIVED,
    MESSAGE_SENT,
    NOTE_ADDED,
    NOTE_AMENDED,
    RECORD_UPDATED,
)
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, DataView, Event, User
from crm_sandbox.queries.customers import IDENTIFYING_FIELDS, shown_field_names

# What the assessor's observation page shows of the account holder (templates/assessor/observe.html).
OBSERVE_FIELDS = ("first_name", "last_name", "date_of_birth", "postcode", "memorable_word", "account_number_last4")
# What one search result shows: the name, the town and the postcode's outward code.
SEARCH_RESULT_FIELDS = (*[f for f in IDENTIFYING_FIELDS if f != "middle_name"], "postcode_area")
# The ID&V panel's "On file" answers in the policy's compare mode, by factor.
COMPARE_FIELDS = {
    "date_of_birth": "date_of_birth",
    "postcode": "postcode",
    "account_number_last4": "account_number_last4",
    "memorable_word_characters": "memorable_word_characters",
}
PAGE_LIMIT = 500  # rows on one disclosure page (newest first)


def recording_enabled() -> bool:
    """Whether the database has the ``data_view`` table (an app on a database not yet upgraded records no
    views, as the ledger records no leaves, until ``flask init-db`` upgrades it)."""
    if current_app.extensions.get("data_view_enabled"):
        return True
    found = inspect(db.session.connection()).has_table("data_view")
    if found:  # only a yes is kept: a database upgraded meanwhile is noticed
        current_app.extensions["data_view_enabled"] = True
    return bool(found)


def packed(refs: Iterable[str]) -> str:
    """``["cust-1", "cust-2"]`` -> ``",cust-1,cust-2,"``: the ``customers`` column, searchable by ``,ref,``."""
    refs = [r for r in dict.fromkeys(refs) if r]
    return f",{','.join(refs)}," if refs else ""


def desk_record_fields(verified: bool, compare: Sequence[str]) -> list[str]:
    """The fields the learner desk's record panel shows: the names (always), the account fields once
    verified, and the "On file" answers of the compare mode (``compare``: the factors shown)."""
    fields = shown_field_names(verified)
    fields += [f"{COMPARE_FIELDS.get(f, f)} (on file, ID&V panel)" for f in compare]
    return fields


def event_fields(events: Iterable[Event]) -> list[str]:
    """The customer data a timeline of ``events`` shows (a review, a report, an export): what was said, the
    ID&V answers given by factor, the details changed, the searches typed, the notes."""
    found: dict[str, None] = {}
    for e in events:
        if e.type in (MESSAGE_SENT, MESSAGE_RECEIVED):
            found["conversation"] = None
        elif e.type == IDV_ANSWER:
            found[f"{e.data.get('factor', 'answer')} (as given)"] = None
        elif e.type == RECORD_UPDATED:
            found[str(e.data.get("field", "record"))] = None
        elif e.type == CUSTOMER_SEARCHED:
            found["search_query"] = None
        elif e.type in (NOTE_ADDED, NOTE_AMENDED):
            found["notes"] = None
    return list(found)


def last_desk_fields(contact_id: int, user_id: int, customer_id: int) -> list | None:
    """The fields of the last record-panel view of ``customer_id`` by ``user_id`` on the contact (None:
    never shown): a view showing the same fields again is a repeat."""
    if not recording_enabled():
        return None
    return db.session.execute(
        select(DataView.fields)
        .where(
            DataView.contact_id == contact_id,
            DataView.user_id == user_id,
            DataView.customer_id == customer_id,
            DataView.kind.in_(("learner-record", "learner-repeat")),
        )
        .order_by(DataView.id.desc())
        .limit(1)
    ).scalar()


@dataclass(frozen=True)
class Disclosures:
    """A disclosure page: what it is about, and the views, newest first (at most ``PAGE_LIMIT``)."""

    title: str
    views: list[DataView]
    cohort: Cohort | None
    contact: Contact | None = None
    customer_ref: str = ""
    truncated: bool = False

    @property
    def not_entitled(self) -> int:
        return sum(1 for v in self.views if not v.entitled)


def _page(title: str, where: ColumnElement[bool], cohort: Cohort | None, **about: object) -> Disclosures:
    rows = list(
        db.session.execute(select(DataView).where(where).order_by(DataView.id.desc()).limit(PAGE_LIMIT + 1)).scalars()
    )
    return Disclosures(title, rows[:PAGE_LIMIT], cohort, truncated=len(rows) > PAGE_LIMIT, **about)  # type: ignore[arg-type]


def _listed(ref: str) -> ColumnElement[bool]:
    return DataView.customers.contains(f",{ref},", autoescape=True)


def contact_disclosures(contact: Contact) -> Disclosures:
    """Every display of the contact's customer data: views of the contact itself, and the learner-wide
    reports and packs that carried it (named by the customer's reference)."""
    ref = contact.customer.ref
    where = or_(
        DataView.contact_id == contact.id,
        and_(DataView.contact_id.is_(None), DataView.cohort_id == contact.cohort_id, _listed(ref)),
    )
    return _page(f"Contact #{contact.id}", where, contact.cohort, contact=contact, customer_ref=ref)


def customer_disclosures(cohort: Cohort, ref: str) -> Disclosures:
    """Every display of the cohort's customer ``ref``: the record shown, and each list or report it was in
    (by reference, so what was shown of a customer since reseeded stays readable)."""
    where = and_(DataView.cohort_id == cohort.id, _listed(ref))
    return _page(f"Customer {ref}", where, cohort, customer_ref=ref)


def cohort_disclosures(cohort: Cohort) -> Disclosures:
    """The cohort's most recent displays of customer data, for the trainer console's link."""
    return _page(f"Cohort {cohort.name}", DataView.cohort_id == cohort.id, cohort)


def staff_cohort(user: User, cohort_id: int) -> Cohort:
    """The cohort whose disclosure record ``user`` (staff) may read: an assessor only their own."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("There is no such cohort.")
    if user.cohort_id is not None and cohort.id != user.cohort_id:
        raise NotAllowed("That is another cohort: you can only see who saw what in your own cohort.")
    return cohort


def views_of_contacts(contact_ids: Sequence[int]) -> list[DataView]:
    """The views recorded on these contacts, oldest first (what an evidence pack archives)."""
    if not contact_ids or not recording_enabled():
        return []
    return list(
        db.session.execute(
            select(DataView).where(DataView.contact_id.in_(list(contact_ids))).order_by(DataView.id)
        ).scalars()
    )
