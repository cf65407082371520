"""Referrals onward: a handover note carries what the next team needs, not security answers, contact
details, card data or special category data (which the colleague's own note may have over-shared)."""

from __future__ import annotations

import re

from ..context import FIELD_LABELS, Context
from ..findings import RuleFinding, finding
from ..language import special_categories
from ..matching import find_card_numbers

# Customer values a handover never needs: the next team verifies the customer again and reads the record.
NOT_NEEDED = {
    "date_of_birth": "date of birth",
    "memorable_word": "memorable word",
    "postcode": "postcode",
    "address_line1": "address",
    "email": "email address",
    "phone": "phone number",
    "account_number": "full account number",
    "sort_code": "sort code",
}


def handover_oversharing(ctx: Context) -> list[RuleFinding]:
    """A handover note written onward that holds data the next team does not need (one finding per kind)."""
    out = []
    word = str(ctx.session.customer.get("memorable_word") or "")
    for step in ctx.of_type("handover.written"):
        text = str(step.event.data["text"])
        kinds: dict[str, tuple[str, str]] = {}  # kind -> (evidence, severity)
        for m in ctx.matcher.find(text):
            if m.field in NOT_NEEDED:
                kinds.setdefault(NOT_NEEDED[m.field], (FIELD_LABELS.get(m.field, m.field), "medium"))
        if word and re.search(rf"\b{re.escape(word)}\b", text, re.I):
            kinds.setdefault("memorable word", ("memorable word", "medium"))
        if find_card_numbers(text):
            kinds.setdefault("card number", ("card number", "high"))
        for name, start, end in special_categories(text):
            kinds.setdefault(f"{name} details", (text[start:end], "high"))
        for kind, (evidence, severity) in kinds.items():
            out.append(
                finding(
                    "handover-oversharing",
                    [step.event.seq],
                    evidence,
                    f"The handover note to the {step.event.data['team']} gives the customer's {kind}, which "
                    "the next team does not need: they verify the customer again and read the record. Pass "
                    "on the customer's name, what they need and what you have done; a colleague's note that "
                    "over-shared is not copied onward.",
                    severity,
                )
            )
    return out
