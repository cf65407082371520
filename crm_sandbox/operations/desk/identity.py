"""Identity verification (ID&V) of the caller on a contact."""

import hashlib
from dataclasses import dataclass

from crm_sandbox.compliance.idv_answers import Reading, read_answer
from crm_sandbox.compliance.normalise import normalise_postcode
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
# The memorable-word characters asked for come from positions 1..MEMORABLE_POSITIONS, whatever the
# word's length, so the question never tells the learner how long the word is. Every seeded word has
# at least this many characters (tests/test_idv_answers.py checks the seed list).
MEMORABLE_POSITIONS = 6


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def memorable_positions(contact_id: int, word: str = "") -> tuple[int, int]:
    """Which two characters (1-based) of the memorable word to ask for on this contact: two of
    1..``MEMORABLE_POSITIONS``, chosen from the contact alone (not the word's length), so the
    question is the same for every record and reveals nothing. A shorter word (none is seeded)
    falls back to its own length."""
    span = max(min(MEMORABLE_POSITIONS, len(word)), 2) if word else MEMORABLE_POSITIONS
    digest = hashlib.sha256(f"{contact_id}:memorable".encode()).digest()
    first = digest[0] % span
    second = (first + 1 + digest[1] % (span - 1)) % span
    a, b = sorted((first, second))
    return a + 1, b + 1


def asked_positions(contact: Contact) -> tuple[int, int]:
    """The memorable-word characters asked for on ``contact``, whichever record is open."""
    return memorable_positions(contact.id, contact.customer.memorable_word)


def factor_prompt(contact: Contact, customer: Customer, factor: str) -> str:
    """What the learner should ask the caller for this factor (the same whichever record is open)."""
    if factor == "memorable_word_characters":
        a, b = asked_positions(contact)
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
    a, b = asked_positions(contact)
    word = customer.memorable_word
    return f"{word[a - 1]} {word[b - 1]}" if len(word) >= b else ""


def stored_value(contact: Contact, customer: Customer, factor: str) -> str:
    """The record's answer to ``factor`` in the form ``read_answer`` gives its ``value``."""
    if factor == "date_of_birth":
        return customer.date_of_birth
    if factor == "postcode":
        return normalise_postcode(customer.postcode)
    if factor == "account_number_last4":
        return customer.account_number[-4:]
    a, b = asked_positions(contact)
    word = customer.memorable_word.upper()
    return word[a - 1] + word[b - 1] if len(word) >= b else ""


def read_caller_answer(contact: Contact, customer: Customer, factor: str, given: str) -> Reading:
    """What the learner typed, read as an answer to ``factor``; refused (``ServiceError``, no attempt
    used) when it cannot be read as one: empty, too long, no date in a date box, letters in a digits
    box, another question's answer..."""
    reading = read_answer(factor, given, asked_positions(contact))
    if not reading.ok:
        raise ServiceError(f"{reading.problem} No attempt was used.")
    return reading


def checked_answer(factor: str, given: str) -> str:
    """The answer as typed, trimmed; refused (no attempt used) when empty, too long or for no known question."""
    given = (given or "").strip()
    if factor not in IDV_FACTORS:
        raise ServiceError("That is not one of this policy's verification questions.")
    if not given:
        raise ServiceError("Type the caller's answer before checking it. No attempt was used.")
    if len(given) > MAX_ANSWER_LENGTH:
        raise ServiceError(
            f"An answer is at most {MAX_ANSWER_LENGTH} characters: type only what the caller said. No attempt was used."
        )
    return given


def check_open_question(state: IdvState, factor: str) -> None:
    """Refuse an answer when verification is already settled or this question already passed."""
    if state.verified:
        raise Conflict("The caller is already verified on this contact.")
    if state.locked:
        raise Conflict("Verification is locked on this contact: follow the policy's next step.")
    if factor in state.passed:
        raise Conflict("That question has already been answered correctly: ask a different one.")


@dataclass(frozen=True)
class AnswerChecked:
    """What checking one answer did: ``status`` (match, no_match, verified, locked) and what the
    answer was read as ("07/10/1968")."""

    status: str
    read: str


def submit_answer(
    contact: Contact, user: User, customer_id: int, factor: str, given: str, form_token: str | None = None
) -> AnswerChecked:
    """Record the caller's answer to one ID&V question, checked against the record open on the contact.

    The answer is first read as an answer to ``factor`` (``compliance.idv_answers``): text that
    cannot be read as one is refused with the reason and uses no attempt (no event). A readable
    answer is recorded (``idv.answer``, with what it was read as) and compared with the record.
    Verification runs against whichever record is open, as in a real CRM: on a record that is not the
    caller's, the caller's true answers do not match (and the rules flag the record access for the
    assessor); the desk looks the same either way. When enough factors have passed on the caller's
    record, ``idv.result {passed: true}`` is recorded and the record unlocks (a new
    ``customer.viewed`` logs the fields now shown). When the failed answers reach the policy's limit,
    ``idv.result {passed: false}`` locks verification for this contact.
    """
    given = checked_answer(factor, given)
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.cohort_id != contact.cohort_id:
        raise NotFound("There is no such customer in this cohort's records.")
    reading = read_caller_answer(contact, customer, factor, given)
    with contact_operation(contact, form_token, repeated="That answer was already checked.") as op:
        if factor not in op.contact.policy["idv_factors"]:  # the policy is checked (contact_operation)
            raise ServiceError("That is not one of this policy's verification questions.")
        events = contact_events(op.contact.id)
        if not any(e.type == CUSTOMER_VIEWED and e.data.get("customer_id") == customer.id for e in events):
            raise ServiceError("Open that customer's record on this contact before verifying.")
        state = verification_state(op.contact.policy, events)
        check_open_question(state, factor)
        match = reading.value == stored_value(op.contact, customer, factor)
        answer = op.append(
            IDV_ANSWER,
            {"factor": factor, "given": given, "read": reading.shown, "match": match, "customer_id": customer.id},
            actor="learner",
            user=user,
        )
        state = verification_state(op.contact.policy, [*events, answer])
        if len(state.passed) >= state.required and customer.id == op.contact.customer_id:
            op.append(IDV_RESULT, {"passed": True}, actor="system")
            op.append(CUSTOMER_VIEWED, reveal(customer, True), actor="system")
            status = "verified"
        elif state.failures >= state.lockout_attempts:
            op.append(IDV_RESULT, {"passed": False, "reason": "locked"}, actor="system")
            status = "locked"
        else:
            status = "match" if match else "no_match"
        op.refresh_findings()
    return AnswerChecked(status, reading.shown)
