"""Finding customers and presenting their records, masked until the caller is verified.

A learner works in a private world: the customers generated for their contacts (and namesakes beside
them), plus any customer a contact of theirs names (contacts made before worlds were private). Their
searches and the records they open never reach another learner's customers or the cohort's shared
background customers; staff, who do not search, still see every record of a contact's cohort.
"""

import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import joinedload, raiseload

from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, Customer
from crm_sandbox.models.customer import PERSONAL_FIELDS
from crm_sandbox.models.personal import blind_index, normalise_for_index

# Shown before verification: enough to pick the right record, nothing more.
IDENTIFYING_FIELDS = ("title", "first_name", "middle_name", "last_name", "town")
# Shown only after verification on the current contact.
ACCOUNT_FIELDS = (
    ("date_of_birth", "Date of birth", "••/••/••••"),
    ("address_line1", "Address line 1", "•••• •••••• ••••"),
    ("address_line2", "Address line 2", "•••••"),
    ("postcode", "Postcode", None),  # masked to the outward code, e.g. "LS1 •••"
    ("email", "Email", "••••••@•••••••.•••"),
    ("phone", "Phone", "••••• ••••••"),
    ("account_number", "Account number", "••••••••"),
    ("sort_code", "Sort code", "••-••-••"),
    ("balance", "Balance", "£•••••"),
)


@dataclass(frozen=True)
class SearchHit:
    id: int
    ref: str
    name: str
    town: str
    postcode_area: str

    @classmethod
    def of(cls, customer_id: int, ref: str, personal: dict) -> "SearchHit":
        """A hit from a customer's id, reference and decrypted personal data."""
        p = personal
        return cls(
            customer_id,
            ref,
            f"{p.get('title', '')} {p.get('first_name', '')} {p.get('last_name', '')}",
            p.get("town", ""),
            outward_code(p.get("postcode", "")),
        )


@dataclass(frozen=True)
class RecordField:
    name: str
    label: str
    value: str
    masked: bool


def outward_code(postcode: str) -> str:
    """The first half of a postcode: "LS1 4AP" -> "LS1"."""
    parts = postcode.split()
    return parts[0] if len(parts) > 1 else postcode[:-3]


def check_query(query: str) -> str:
    """The search text, trimmed, or a ServiceError saying why it cannot be searched."""
    query = (query or "").strip()
    if not query:
        raise ServiceError("Type a surname, postcode, account number, email or phone number to search.")
    limit = current_app.config["SEARCH_MAX_LENGTH"]
    if len(query) > limit:
        raise ServiceError(f"That search is too long: use at most {limit} characters.")
    return query


def in_world(learner_id: int) -> ColumnElement[bool]:
    """The condition for a customer of ``learner_id``'s private world."""
    named = select(Contact.customer_id).where(Contact.learner_id == learner_id)
    return or_(Customer.learner_id == learner_id, Customer.id.in_(named))


def is_in_world(customer: Customer, learner_id: int) -> bool:
    """Whether ``customer`` is in ``learner_id``'s private world (as ``in_world``)."""
    if customer.learner_id == learner_id:
        return True
    named = select(Contact.id).where(Contact.learner_id == learner_id, Contact.customer_id == customer.id).limit(1)
    return db.session.execute(named).first() is not None


def search(cohort_id: int, query: str, *, learner_id: int | None) -> list[SearchHit]:
    """Customers of the cohort matching the query exactly on a searchable field: only those of
    ``learner_id``'s private world (the learner whose contact it is), or all when None (staff).

    "Jane Smith" matches surname Smith with first name Jane; a postcode, account number, email or
    phone number matches that field whatever its spacing or case.
    """
    query = check_query(query)
    words = query.split()
    first = words[0].lower() if len(words) > 1 else None
    whole = blind_index(query)
    candidates = {whole, blind_index(words[-1])}
    candidates.discard(blind_index(""))
    if not candidates:
        return []
    stmt = (
        select(Customer)
        .where(
            Customer.cohort_id == cohort_id,
            in_world(learner_id) if learner_id is not None else true(),
            or_(
                Customer.last_name_index.in_(candidates),
                Customer.postcode_index.in_(candidates),
                Customer.account_number_index.in_(candidates),
                Customer.email_index.in_(candidates),
                Customer.phone_index.in_(candidates),
            ),
            # A surname-and-first-name query filters the rows below; otherwise the first page is all we show.
        )
        .order_by(Customer.id)
        .limit(200 if first else current_app.config["SEARCH_MAX_RESULTS"])
    )
    hits, surname = [], normalise_for_index(words[-1])
    for c in db.session.execute(stmt).scalars():
        by_surname = normalise_for_index(c.last_name) == surname
        if first and by_surname and not c.first_name.lower().startswith(first) and whole != c.postcode_index:
            continue
        hits.append(SearchHit.of(c.id, c.ref, c.personal))
    return hits[: current_app.config["SEARCH_MAX_RESULTS"]]


def hits_for(cohort_id: int, ids: list[int], *, learner_id: int | None) -> list[SearchHit]:
    """The search results a ``customer.searched`` event recorded (by id), in their order, as shown now
    (only those of ``learner_id``'s world, as ``search``)."""
    stmt = select(Customer.id, Customer.ref, Customer.personal).where(  # columns: a list of up to 20
        Customer.cohort_id == cohort_id, Customer.id.in_(ids)
    )
    if learner_id is not None:
        stmt = stmt.where(in_world(learner_id))
    found = {row.id: row for row in db.session.execute(stmt)}
    return [SearchHit.of(*found[i]) for i in ids if i in found]


def desk_customers(
    cohort_id: int, learner_id: int, hit_ids: list[int], record_ids: list[int], with_account: bool
) -> dict[int, Customer]:
    """In one query, the customers the desk shows: the records (``record_ids``: the open one, the caller's)
    and the last search's hits (only those of the learner's world, as ``hits_for``), by id. With
    ``with_account`` the records' transactions and earlier interactions come in the same query; without,
    touching them raises rather than loading them one by one."""
    account = (
        (joinedload(Customer.transactions), joinedload(Customer.interactions))
        if with_account
        else (raiseload(Customer.transactions), raiseload(Customer.interactions))
    )
    stmt = (
        select(Customer)
        .where(
            or_(
                Customer.id.in_(record_ids),
                and_(Customer.cohort_id == cohort_id, Customer.id.in_(hit_ids), in_world(learner_id)),
            )
        )
        .options(*account)
    )
    return {c.id: c for c in db.session.execute(stmt).unique().scalars()}


def display_value(name: str, value: str) -> str:
    """A field's value as the desk shows it: UK dates and pounds."""
    if name == "date_of_birth":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if name == "balance":
        return money(value)
    return value


def record_fields(customer: Customer, verified: bool) -> list[RecordField]:
    """The account fields as the viewer may see them: real values only when ``verified``."""
    fields = []
    for name, label, mask in ACCOUNT_FIELDS:
        value = display_value(name, getattr(customer, name))
        if verified:
            fields.append(RecordField(name, label, value, False))
        else:
            shown = f"{outward_code(customer.postcode)} •••" if mask is None else mask  # the postcode
            fields.append(RecordField(name, label, shown, True))
    return fields


def shown_field_names(verified: bool) -> list[str]:
    """The names of the fields a record view reveals: logged with every view."""
    revealed = list(IDENTIFYING_FIELDS) + ["postcode_area"]
    if verified:
        revealed += [name for name, _, _ in ACCOUNT_FIELDS] + ["transactions", "history"]
    return revealed


def customer_dict(customer: Customer) -> dict:
    """The customer's fields as plain data (for the scripted caller and session exports)."""
    data = {name: getattr(customer, name) for name in PERSONAL_FIELDS}
    data.update(
        id=customer.ref,
        ref=customer.ref,
        product=customer.product,
        full_name=re.sub(r"\s+", " ", f"{customer.first_name} {customer.last_name}"),
        title_surname=f"{customer.title} {customer.last_name}".strip(),
    )
    return data
