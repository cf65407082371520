"""Identity verification (ID&V) of the caller on a contact."""

import hashlib
from datetime import date

from crm_sandbox.compliance.normalise import digits, letters, normalise_postcode, parse_date
from crm_sandbox.compliance.verification import IdvState, verification_state
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import CUSTOMER_VIEWED, IDV_ANSWER, IDV_RESULT
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk.contacts import reveal
from crm_sandbox.policy import IDV_FACTORS
from crm_sandbox.queries.customers import display_value

MAX_ANSWER_LENGTH = 200


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def memorable_positions(contact_id: int, word: str) -> tuple[int, int]:
    """Which two characters (1-based) of the memorable word to ask for on this contact."""
    digest = hashlib.sha256(f"{contact_id}:{len(word)}".encode()).digest()
    first = digest[0] % len(word)
    second = (first + 1 + digest[1] % (len(word) - 1)) % len(word)
    a, b = sorted((first, second))
    return a + 1, b + 1


def factor_prompt(contact: Contact, customer: Customer, factor: str) -> str:
    """What the learner should ask the caller for this factor."""
    if factor == "memorable_word_characters":
        a, b = memorable_positions(contact.id, customer.memorable_word)
        return f"Ask for the {ordinal(a)} and {ordinal(b)} characters of the memorable word."
    return f"Ask for the {IDV_FACTORS[factor].lower()}."


def stored_answer(contact: Contact, customer: Customer, factor: str) -> str:
    """The answer on file for a factor (shown only in the policy's compare mode)."""
    if factor == "date_of_birth":
        return display_value("date_of_birth", customer.date_of_birth)
    if factor == "postcode":
        return customer.postcode
    if factor == "account_number_last4":
        return customer.account_number[-4:]
    a, b = memorable_positions(contact.id, customer.memorable_word)
    return f"{customer.memorable_word[a - 1]} {customer.memorable_word[b - 1]}"


def answer_matches(contact: Contact, customer: Customer, factor: str, given: str) -> bool:
    """Whether the caller's answer matches the record, after normalising both sides."""
    if factor == "date_of_birth":
        return parse_date(given) == date.fromisoformat(customer.date_of_birth)
    if factor == "postcode":
        return normalise_postcode(given) == normalise_postcode(customer.postcode)
    if factor == "account_number_last4":
        return digits(given) == customer.account_number[-4:]
    a, b = memorable_positions(contact.id, customer.memorable_word)
    word = customer.memorable_word.lower()
    return letters(given) == word[a - 1] + word[b - 1]


def checked_answer(factor: str, given: str) -> str:
    """The answer as typed, trimmed; refused (no attempt used) when empty, too long or for no known question."""
    given = (given or "").strip()
    if factor not in IDV_FACTORS:
        raise ServiceError("That is not one of this policy's verification questions.")
    if not given:
        raise ServiceError("Type the caller's answer before checking it.")
    if len(given) > MAX_ANSWER_LENGTH:
        raise ServiceError(f"An answer is at most {MAX_ANSWER_LENGTH} characters.")
    return given


def check_open_question(state: IdvState, factor: str) -> None:
    """Refuse an answer when verification is already settled or this question already passed."""
    if state.verified:
        raise Conflict("The caller is already verified on this contact.")
    if state.locked:
        raise Conflict("Verification is locked on this contact: follow the policy's next step.")
    if factor in state.passed:
        raise Conflict("That question has already been answered correctly: ask a different one.")


def submit_answer(
    contact: Contact, user: User, customer_id: int, factor: str, given: str, form_token: str | None = None
) -> str:
    """Record the caller's answer to one ID&V question; return the new status.

    When enough factors have passed, ``idv.result {passed: true}`` is recorded and the record
    unlocks (a new ``customer.viewed`` logs the fields now shown). When the failed answers reach the
    policy's limit, ``idv.result {passed: false}`` locks verification for this contact.
    """
    given = checked_answer(factor, given)
    if customer_id != contact.customer_id:
        raise ServiceError(
            "Verification runs against the account the caller named on this contact: "
            "open that customer's record to verify."
        )
    customer = db.session.get(Customer, customer_id)
    if customer is None:  # the contact's own account: only gone if the cohort was reset meanwhile
        raise NotFound("There is no such customer in this cohort's records.")
    with contact_operation(contact, form_token, repeated="That answer was already checked.") as op:
        if factor not in op.contact.policy["idv_factors"]:  # the policy is checked (contact_operation)
            raise ServiceError("That is not one of this policy's verification questions.")
        events = contact_events(op.contact.id)
        state = verification_state(op.contact.policy, events)
        check_open_question(state, factor)
        match = answer_matches(op.contact, customer, factor, given)
        answer = op.append(
            IDV_ANSWER,
            {"factor": factor, "given": given, "match": match, "customer_id": customer.id},
            actor="learner",
            user=user,
        )
        state = verification_state(op.contact.policy, [*events, answer])
        if len(state.passed) >= state.required:
            op.append(IDV_RESULT, {"passed": True}, actor="system")
            op.append(CUSTOMER_VIEWED, reveal(customer, True), actor="system")
            status = "verified"
        elif state.failures >= state.lockout_attempts:
            op.append(IDV_RESULT, {"passed": False, "reason": "locked"}, actor="system")
            status = "locked"
        else:
            status = "match" if match else "no_match"
        op.refresh_findings()
    return status
