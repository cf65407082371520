"""Giving away the customer's data: before verification, by leading question, or to a third party."""

from __future__ import annotations

import re

from ..context import FIELD_LABELS, LOCKED, NOT_VERIFIED, Context, Disclosure
from ..findings import RuleFinding, finding
from ..language import is_refusal
from ..normalise import digits

_ORDINALS = {
    w: i
    for i, w in enumerate(
        ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"), start=1
    )
}
_CHARACTER = re.compile(
    r"\b(?P<pos>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d{1,2}(?:st|nd|rd|th))"
    r"\s+(?:letter|character)\b[^.?!]{0,40}?\b(?:is|be|was|=)(?:\s+it)?\s+(?:an?\s+)?['\"‘“]?(?P<ch>[a-z])\b(?!')"
    r"|\bis (?:the|your) (?P<pos2>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d{1,2}(?:st|nd|rd|th))"
    r"\s+(?:letter|character)(?: of [^?.!]{0,30}?)?\s+(?:an?\s+)?['\"‘“]?(?P<ch2>[a-z])\b(?!')",
    re.I,
)


def _is_leading(ctx: Context, d: Disclosure) -> bool:
    return d.step.status == NOT_VERIFIED and d.match.field in ctx.factor_fields


def disclosure_before_verification(ctx: Context) -> list[RuleFinding]:
    """Customer data the caller had not given, written before ID&V passed or after it failed."""
    out = []
    for d in ctx.disclosures:
        if d.step.status == LOCKED or (d.step.status == NOT_VERIFIED and not _is_leading(ctx, d)):
            when = "after verification had failed" if d.step.status == LOCKED else "before verification had passed"
            out.append(
                finding(
                    "disclosure-before-verification",
                    d.seqs,
                    d.match.text,
                    f"You revealed the customer's {FIELD_LABELS[d.match.field]} {when}. Until the caller "
                    "passes security, do not confirm or give out anything held on the account.",
                )
            )
    return out


def leading_verification_question(ctx: Context) -> list[RuleFinding]:
    """The learner states a verification answer instead of asking the caller for it."""
    out = [
        finding(
            "leading-verification-question",
            d.seqs,
            d.match.text,
            f"You stated the customer's {FIELD_LABELS[d.match.field]} while verifying them. Ask an open "
            'question ("What is your date of birth?") so the caller has to supply the answer.',
        )
        for d in ctx.disclosures
        if _is_leading(ctx, d)
    ]
    word = ctx.session.customer.get("memorable_word", "").lower()
    if word and "memorable_word_characters" in ctx.policy.idv_factors:
        for step in ctx.of_type("message.sent"):
            if step.status != NOT_VERIFIED:
                continue
            text = step.event.data["text"]
            for m in _CHARACTER.finditer(text):
                pos, char = (m["pos"] or m["pos2"]).lower(), (m["ch"] or m["ch2"]).lower()
                index = len(word) if pos == "last" else _ORDINALS.get(pos) or int(digits(pos))
                if 0 < index <= len(word) and word[index - 1] == char and not is_refusal(text):
                    out.append(
                        finding(
                            "leading-verification-question",
                            [step.event.seq],
                            m.group(),
                            "You told the caller a character of the memorable word. Ask for the characters "
                            "and let the caller supply them.",
                        )
                    )
    return out


def disclosure_to_third_party(ctx: Context) -> list[RuleFinding]:
    """Customer data given to a caller who said they are not the account holder and has no authority."""
    caller = ctx.session.caller
    if caller.relationship != "third_party" or caller.authorised:
        return []
    return [
        finding(
            "disclosure-to-third-party",
            d.seqs,
            d.match.text,
            f"You gave the customer's {FIELD_LABELS[d.match.field]} to a third party who has no authority "
            "on the account. Passing security does not make a third party entitled to the data: check for a "
            "power of attorney or mandate first.",
        )
        for d in ctx.disclosures
    ]


__all__ = ["disclosure_before_verification", "leading_verification_question", "disclosure_to_third_party"]
