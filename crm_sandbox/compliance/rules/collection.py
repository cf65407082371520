"""What the learner asks for and writes down: over-collection, card data, special category data."""

from __future__ import annotations

import re

from ..context import Context, Step
from ..findings import RuleFinding, finding
from ..language import (
    ASK_FOR_IT,
    ASK_LEAD,
    CARD_NUMBER_ASK,
    CATEGORY_RE,
    CVV,
    CVV_VALUE,
    LAST_FOUR,
    NEGATED_ASK,
    PARTIAL,
    SECRETS,
    asked_categories,
    sentences,
    special_categories,
)
from ..matching import EMAIL, find_card_numbers

# Asking who the caller is and which account they mean is identification, always allowed.
IDENTIFICATION = {"name", "account_number", "sort_code"}
FACTOR_CATEGORIES = {"date_of_birth": "date_of_birth", "postcode": "postcode"}
PAYMENT = {"card_number", "card_security_code"}  # reported by payment-card-data instead
CONTACT = {"name", "address", "postcode", "phone", "email"}  # contact details a record update may correct
CATEGORY_LABELS = {
    "national_insurance_number": "National Insurance number",
    "pin": "PIN",
    "date_of_birth": "date of birth",
    "bank_details": "bank details",
    "other_people": "details of another person",
}
FIELD_CATEGORIES = {
    "name": "name",
    "title": "name",
    "first_name": "name",
    "middle_name": "name",
    "last_name": "name",
    "full_name": "name",
    "date_of_birth": "date_of_birth",
    "dob": "date_of_birth",
    "address": "address",
    "address_line1": "address",
    "address_line2": "address",
    "town": "address",
    "city": "address",
    "county": "address",
    "postcode": "postcode",
    "email": "email",
    "phone": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "account_number": "account_number",
    "sort_code": "sort_code",
    "memorable_word": "memorable_word",
    "password": "password",
    "pin": "pin",
    "card_number": "card_number",
    "card_security_code": "card_security_code",
    "cvv": "card_security_code",
    "national_insurance_number": "national_insurance_number",
    "ni_number": "national_insurance_number",
    "bank_details": "bank_details",
    "income": "income",
    "salary": "income",
    "employer": "employer",
    "occupation": "employer",
    "health": "health",
    "medical": "health",
}
_NI = re.compile(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.I)
_PHONE = re.compile(r"(?<![\d£])(?:\+44\s?\(?0?\)?\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\d])")
_RECORDED = {
    "email": EMAIL,
    "phone": _PHONE,
    "national_insurance_number": _NI,
    "income": re.compile(
        r"\b(?:salary|income|earns?|earnings|wages?|take[- ]home(?: pay)?)\b[^.\n]{0,20}?£\s?\d[\d,.]*k?"
        r"|(?:£\s?\d[\d,.]*k?|\b\d[\d,.]*k)\s*(?:a|per|/|p)\s*(?:year|yr|annum|month|mth|week|wk)\b"
        r"|\b(?:on|earns?|earning|makes?)\s+(?:about\s+|around\s+|roughly\s+|approx\.?\s+)?(?:£\s?\d[\d,.]*|\d[\d,.]*)k\b"
        r"|\b(?:earns?|earning)\s+(?:about\s+|around\s+|roughly\s+|approx\.?\s+)?£\s?\d"
        r"|\bon (?:benefits|universal credit|pip|esa|jsa)\b",
        re.I,
    ),
    "employer": re.compile(
        r"\b(?:(?:works|working|worked)\s+"
        r"(?:(?:nights|days|shifts|weekends|evenings|mornings|part[- ]time|full[- ]time|locally|now|currently)\s+){0,2}"
        r"(?:at|for)(?!\s+(?:home|us|you|the moment)\b)"
        r"|employed (?:by|at|as)|employer(?: is|:)|occupation(?: is|:)|job(?: title)? is)\s+\S+",
        re.I,
    ),
    "password": re.compile(r"\b(?:password|passcode)\s*(?:is|was|:|=)\s*\S+", re.I),
    "pin": re.compile(r"\bpin(?: number| code)?\s*(?:is|was|:|=)\s*\d{4,6}\b", re.I),
    "memorable_word": re.compile(r"\bmemorable (?:word|phrase)\s*(?:is|was|:|=)\s*\S+", re.I),
}
# Words one of which every ask for card data has (a cheap test before CVV and CARD_NUMBER_ASK).
_CARD_WORDS = ("card", "cv", "csc", "sec", "back", "pan", "digit", "signature", "long number")
_PLEASE = re.compile(r"\b(?:pls|plz|please|ta)\b", re.I)  # "just the cvc pls": a request all the same
_SECURE_CHANNEL = re.compile(
    r"\b(?:secure (?:link|page|payment|line|portal|form)|keypad|ivr|automated (?:line|system|payment))\b", re.I
)


def _allowed(ctx: Context) -> set[str]:
    allowed = set(ctx.session.scenario.needed_data) | IDENTIFICATION | PAYMENT
    allowed |= {cat for factor, cat in FACTOR_CATEGORIES.items() if factor in ctx.policy.idv_factors}
    return allowed


def _label(cat: str) -> str:
    return CATEGORY_LABELS.get(cat, cat.replace("_", " "))


def _over(step: Step, evidence: str, cat: str, verb: str) -> RuleFinding:
    secret = cat in SECRETS
    why = (
        "Policy asks for selected characters only: never ask for or record a full password, PIN or memorable word."
        if secret
        else "Only collect and record what this contact's purpose needs."
    )
    whose = "" if cat == "other_people" else "the customer's "
    return finding(
        "over-collection",
        [step.event.seq],
        evidence,
        f"You {verb} {whose}{_label(cat)}, which this contact does not need. {why}",
        severity="high" if secret else None,
    )


def over_collection(ctx: Context) -> list[RuleFinding]:
    """Asking for or recording data the purpose does not need, or a full password, PIN or memorable word."""
    allowed = _allowed(ctx)
    return _asked_for(ctx, allowed) + _recorded_in_notes(ctx, allowed) + _recorded_in_fields(ctx, allowed)


def _asked_for(ctx: Context, allowed: set[str]) -> list[RuleFinding]:
    out: list[RuleFinding] = []
    for step in ctx.of_type("message.sent"):
        text = step.event.data["text"]
        named: list[str] = []  # secrets a sentence named, for a "tell me it" in the next
        for a, b in sentences(text):
            sentence = text[a:b]
            asked = {cat for cat, _, _ in asked_categories(sentence)}
            if named and ASK_FOR_IT.search(sentence) and not NEGATED_ASK.search(sentence):
                asked.update(named)
            out.extend(_over(step, sentence.strip(), cat, "asked for") for cat in sorted(asked - allowed))
            named = _secrets_named(sentence)
    return out


def _secrets_named(sentence: str) -> list[str]:
    """The secrets a sentence names whole (not "the 2nd letter of …"), for a "tell me it" after it."""
    low = sentence.lower()
    if "memorable" not in low and "pass" not in low and "pin" not in low:
        return []
    return [cat for cat in SECRETS if CATEGORY_RE[cat].search(sentence) and not PARTIAL.search(sentence)]


def _recorded_in_notes(ctx: Context, allowed: set[str]) -> list[RuleFinding]:
    out = []
    word = ctx.session.customer.get("memorable_word", "")
    for step in ctx.of_type("note.added", "note.amended"):
        text = step.event.data["text"]
        for cat, pattern in _RECORDED.items():
            if cat not in allowed and (m := pattern.search(text)):
                out.append(_over(step, m.group(), cat, "recorded"))
        if word and "memorable_word" not in allowed and not _RECORDED["memorable_word"].search(text):
            if m := re.search(rf"\b{re.escape(word)}\b", text, re.I):
                out.append(_over(step, m.group(), "memorable_word", "recorded"))
    return out


def existing_contact_fields(ctx: Context) -> set[str]:
    """The categories of contact details (name, address, phone, email) the customer's record already has,
    when the scenario does not name the data its purpose needs: updating one keeps the record right and
    collects nothing new. (When it names them, a contact detail outside them is still not needed.)"""
    if ctx.session.scenario.needed_data:
        return set()
    customer = ctx.session.customer
    return {cat for f, v in customer.items() if v and (cat := FIELD_CATEGORIES.get(f.lower())) in CONTACT}


def _recorded_in_fields(ctx: Context, allowed: set[str]) -> list[RuleFinding]:
    out = []
    allowed = allowed | existing_contact_fields(ctx)
    for step in ctx.of_type("record.updated"):
        cat = FIELD_CATEGORIES.get(str(step.event.data["field"]).lower())
        if cat and cat not in allowed:
            out.append(_over(step, f"{step.event.data['field']} = {step.event.data['value']}", cat, "recorded"))
    return out


def _card_asks(text: str) -> list[str]:
    asks: list[str] = []
    low = text.lower()
    if not any(w in low for w in _CARD_WORDS):
        return asks
    for a, b in sentences(text):
        sentence = text[a:b]
        if NEGATED_ASK.search(sentence) or _SECURE_CHANNEL.search(sentence):
            continue
        if not (ASK_LEAD.search(sentence) or "?" in sentence or _PLEASE.search(sentence)):
            continue
        if CVV.search(sentence) or (CARD_NUMBER_ASK.search(sentence) and not LAST_FOUR.search(sentence)):
            asks.append(sentence.strip())
    return asks


def _card_numbers(ctx: Context, text: str) -> list[tuple[int, int]]:
    """Card numbers written in digits or said in words ("four one one one, one one one one, …")."""
    spans = find_card_numbers(text)
    spoken = ctx.matcher.spoken(text)
    if spoken is not None:
        spans += [spoken.span(a, b) for a, b in find_card_numbers(spoken.text) if spoken.span(a, b) not in spans]
    return spans


def payment_card_data(ctx: Context) -> list[RuleFinding]:
    """A full card number or security code asked for, sent or recorded (last four digits are fine)."""
    out = []
    for step in ctx.of_type("message.sent", "note.added", "note.amended", "record.updated"):
        data = step.event.data
        text = str(data.get("value") if step.event.type == "record.updated" else data["text"])
        if step.event.type == "message.sent":
            for sentence in _card_asks(text):
                out.append(
                    finding(
                        "payment-card-data",
                        [step.event.seq],
                        sentence,
                        "You asked for the full card number or the security code. Card "
                        "payments go through the secure payment line, never the chat, call "
                        "notes or this system.",
                    )
                )
        for start, end in _card_numbers(ctx, text):
            out.append(
                finding(
                    "payment-card-data",
                    [step.event.seq],
                    text[start:end],
                    "A full card number was written here. Show at most the last four "
                    "digits; never write the full number into messages, notes or records.",
                )
            )
        for m in CVV_VALUE.finditer(text):
            if set(m.group(1)) == {"*"}:
                continue  # already masked when stored: reported from card_data below
            out.append(
                finding(
                    "payment-card-data",
                    [step.event.seq],
                    m.group(),
                    "A card security code was written here. It must never be stored, even in notes.",
                )
            )
        # Card data the app masked before storing it (docs/session-format.md, "card_data").
        for item in data.get("card_data") or ():
            what = "card number" if item.get("kind") == "card_number" else "card security code"
            out.append(
                finding(
                    "payment-card-data",
                    [step.event.seq],
                    str(item.get("masked", "")),
                    f"A full {what} was typed here (the sandbox stored it masked). Card "
                    "payments go through the secure payment line; never type card data "
                    "into messages, notes or records.",
                )
            )
    return out


def special_category_data(ctx: Context) -> list[RuleFinding]:
    """Health, religion, ethnicity, sexual orientation, politics, union membership or genetic or
    biometric data written into notes or records."""
    out = []
    for step in ctx.of_type("note.added", "note.amended", "record.updated"):
        data = step.event.data
        text = str(data.get("value") if step.event.type == "record.updated" else data["text"])
        seen = set()
        for name, start, end in special_categories(text):
            if name in seen:
                continue
            seen.add(name)
            out.append(
                finding(
                    "special-category-data",
                    [step.event.seq],
                    text[start:end],
                    f"The note records {name} details, which are special category data. Record only the "
                    "support the customer needs (e.g. 'prefers written contact'), not the condition or belief "
                    "behind it.",
                )
            )
    return out
