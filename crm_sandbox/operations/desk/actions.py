"""What a learner can do to an account on a live contact: each action and its event in one transaction.

Closing the contact is in ``lifecycle``.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from sqlalchemy import insert

from crm_sandbox.compliance.normalise import normalise_postcode
from crm_sandbox.compliance.pci import mask_card_data
from crm_sandbox.compliance.verification import verification_state
from crm_sandbox.errors import ServiceError
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import COMPLAINT_RAISED, ESCALATED, RECORD_UPDATED, REFUND_ISSUED
from crm_sandbox.extensions import db
from crm_sandbox.formatting import escalation_reference, money
from crm_sandbox.models import Contact, Customer, Transaction, User, utcnow
from crm_sandbox.models.customer import INDEXED_FIELDS
from crm_sandbox.models.personal import blind_index
from crm_sandbox.operations.contact_operation import ContactOperation, contact_operation
from crm_sandbox.operations.desk.conversation import check_text

UPDATABLE_FIELDS = {
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "town": "Town",
    "postcode": "Postcode",
    "email": "Email",
    "phone": "Phone",
}
ADDRESS_FIELDS = ("address_line1", "address_line2", "town", "postcode")
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
MAX_REFUND = Decimal("10000")
MAX_FIELD_LENGTH = 120
MAX_REASON_LENGTH = 1000
NOT_YET_VERIFIED = (
    "The caller has not passed security, and this cohort's policy blocks changes, refunds and credits until "
    "they do. Verify the caller first."
)
LOCKED_OUT = (
    "The caller failed security on this contact, and this cohort's policy blocks changes, refunds and "
    "credits after that. Explain that you cannot go further and offer the alternatives."
)


def check_verified_for_action(contact: Contact) -> None:
    """Refuse an account action before ID&V passes (or after it fails) when the policy blocks it.

    Off by default: the desk then lets the learner act, and ``change-before-verification`` flags it,
    because the assessor must see the breach.
    """
    if contact.policy.get("block_actions_before_verification") is not True:
        return
    state = verification_state(contact.policy, contact_events(contact.id))
    if not state.verified:
        raise ServiceError(LOCKED_OUT if state.locked else NOT_YET_VERIFIED)


def clean_field_value(field: str, value: str) -> str:
    """The value in the form the record stores, or a ServiceError saying what is wrong with it."""
    value = (value or "").strip()
    if field not in UPDATABLE_FIELDS:
        raise ServiceError("That detail cannot be changed from the desk.")
    if not value and field != "address_line2":
        raise ServiceError(f"Type the new {UPDATABLE_FIELDS[field].lower()}.")
    if len(value) > MAX_FIELD_LENGTH:
        raise ServiceError(f"That is too long for the {UPDATABLE_FIELDS[field].lower()}.")
    if field == "postcode":
        return clean_postcode(value)
    if field == "email":
        if not EMAIL.match(value):
            raise ServiceError("That is not an email address.")
        return value.lower()
    if field == "phone":
        return clean_phone(value)
    return value


def clean_postcode(value: str) -> str:
    """``ls14ap`` -> ``LS1 4AP``, or refused."""
    compact = normalise_postcode(value)
    if not UK_POSTCODE.match(compact):
        raise ServiceError("That is not a UK postcode (for example LS1 4AP).")
    return f"{compact[:-3]} {compact[-3:]}"


def clean_phone(value: str) -> str:
    """A dialable number in the national style (or international, for a number abroad), or refused."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ServiceError("That is not a phone number we can dial (for example 0113 496 0123).")
    # A number abroad keeps its country code: "(202) 555-0100" alone could not be dialled from here.
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def parse_amount(text: str) -> Decimal:
    """A positive amount of pounds with at most two decimal places, or a ServiceError."""
    cleaned = (text or "").strip().replace("£", "").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ServiceError("Type the amount in pounds, for example 25.00.") from None
    if not amount.is_finite():  # "NaN", "Infinity": Decimal reads them, but they are not amounts
        raise ServiceError("Type the amount in pounds, for example 25.00.")
    if amount <= 0:
        raise ServiceError("The amount must be more than £0.")
    # Before quantizing: an enormous amount ("1e30") has more digits than the context allows.
    if amount > MAX_REFUND:
        raise ServiceError(f"The desk cannot pay more than {money(MAX_REFUND)}: refer larger sums to a supervisor.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("Use at most two decimal places (pence).")
    return amount.quantize(Decimal("0.01"))


def update_details(contact: Contact, user: User, field: str, value: str, form_token: str | None = None) -> None:
    """Change one contact detail of the caller's account (``record.updated``)."""
    value = clean_field_value(field, value)
    with contact_operation(contact, form_token) as op:
        check_verified_for_action(op.contact)
        set_field(op.contact.customer, field, value, op, user)
        op.refresh_findings()


def update_address(contact: Contact, user: User, values: dict[str, str], form_token: str | None = None) -> list[str]:
    """Change the caller's address in one form: a ``record.updated`` for each line that changed, together
    or not at all. Returns the fields changed (none: refused, nothing was different)."""
    cleaned = {f: clean_field_value(f, values.get(f, "")) for f in ADDRESS_FIELDS}
    with contact_operation(contact, form_token) as op:
        check_verified_for_action(op.contact)
        customer = op.contact.customer
        changed = [f for f in ADDRESS_FIELDS if cleaned[f] != (getattr(customer, f) or "")]
        if not changed:
            raise ServiceError("That is the address already on the record: nothing was changed.")
        for f in changed:
            set_field(customer, f, cleaned[f], op, user)
        op.refresh_findings()
    return changed


def set_field(customer: Customer, field: str, value: str, op: ContactOperation, user: User) -> None:
    """Set one detail of the record and append its ``record.updated`` (with the value it replaced, card
    data in it masked: it was flagged when it was typed, so it is not reported again here)."""
    previous, _ = mask_card_data(getattr(customer, field) or "")
    setattr(customer, field, value)
    if field in INDEXED_FIELDS:
        setattr(customer, f"{field}_index", blind_index(value))
    op.append(RECORD_UPDATED, {"field": field, "value": value, "previous": previous}, actor="learner", user=user)


def issue_refund(
    contact: Contact,
    user: User,
    amount_text: str,
    kind: str,
    reason: str,
    over_limit_confirmed: bool = False,
    form_token: str | None = None,
) -> None:
    """Refund or credit the account (``refund.issued``), up to the policy's authority limit.

    Above the limit a real CRM asks for an explicit override; the override is recorded, and the
    rules engine flags it as beyond the learner's authority.
    """
    amount = parse_amount(amount_text)
    if kind not in ("refund", "goodwill"):
        raise ServiceError("Choose a refund or a goodwill credit.")
    reason = check_text(reason, "reason", MAX_REASON_LENGTH)
    with contact_operation(contact, form_token) as op:  # checks the contact's policy: its limit is a sane number
        check_verified_for_action(op.contact)
        limit = Decimal(str(op.contact.policy["authority_limit"]))
        if amount > limit and not over_limit_confirmed:
            raise ServiceError(
                f"{money(amount)} is above your authority limit of {money(limit)}. Escalate to a "
                "supervisor, or confirm that you have authority for this amount."
            )
        customer = op.contact.customer
        customer.balance = f"{Decimal(customer.balance) + amount:.2f}"
        db.session.execute(
            insert(Transaction).values(
                customer_id=customer.id,
                posted_on=utcnow().date(),
                description="Refund" if kind == "refund" else "Goodwill credit",
                amount_pence=int(amount * 100),
            )
        )
        data: dict[str, Any] = {"amount": float(amount), "kind": kind, "reason": reason}
        if amount > limit:
            data["over_limit"] = True  # the learner confirmed an authority they may not have
        op.append(REFUND_ISSUED, data, actor="learner", user=user)
        op.refresh_findings()


def raise_complaint(
    contact: Contact,
    user: User,
    summary: str,
    investigation: str,
    remedy: str,
    outcome_communicated: bool,
    form_token: str | None = None,
) -> None:
    """Log a complaint with its investigation, proposed remedy and whether the outcome was given."""
    summary = check_text(summary, "complaint summary", MAX_REASON_LENGTH)
    data = {
        "summary": summary,
        "investigation": (investigation or "").strip()[:MAX_REASON_LENGTH],
        "remedy": (remedy or "").strip()[:MAX_REASON_LENGTH],
        "outcome_communicated": outcome_communicated,
    }
    with contact_operation(contact, form_token) as op:
        op.append(COMPLAINT_RAISED, data, actor="learner", user=user)
        op.refresh_findings()


def escalate(contact: Contact, user: User, reason: str, form_token: str | None = None) -> str:
    """Send the contact to the supervisor queue with a reason; returns the escalation's reference,
    which the learner gives the customer (derived from the event, see ``escalation_reference``)."""
    reason = check_text(reason, "reason for escalating", MAX_REASON_LENGTH)
    with contact_operation(contact, form_token) as op:
        event = op.append(ESCALATED, {"reason": reason}, actor="learner", user=user)
        op.refresh_findings()
    return escalation_reference(event.contact_id, event.seq)
