"""Giving away the customer's data: before verification, by leading question, or to a third party."""

from __future__ import annotations

import re

from ..context import FIELD_LABELS, LOCKED, NOT_VERIFIED, Context, Disclosure, Step
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
    r"\s+(?:letter|character)(?:\b[^.?!]{0,40}?\b(?:is|be|was|=)|['’]s)(?:\s+it)?\s+(?:an?\s+)?['\"‘“]?(?P<ch>[a-z])\b(?!')"
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
        out.extend(
            finding(
                "leading-verification-question",
                [step.event.seq],
                said,
                "You told the caller a character of the memorable word. Ask for the characters "
                "and let the caller supply them.",
            )
            for step, said in _characters_told(ctx, word)
        )
    return out


_POSITION = re.compile(
    r"\b(?P<pos>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d{1,2}(?:st|nd|rd|th))"
    r"\s+(?:letter|character)\b",
    re.I,
)
# "Is it P?", "would it be a P", "Is it P for Papa?" (the phonetic word read as its letter first).
_GUESS = re.compile(
    r"\b(?:is it|is that|would it be|could it be|it(?:'|’)?s)\s+(?:an?\s+)?['\"‘“]?(?P<ch>[a-z])\b(?!')", re.I
)


_ASKED = "leading-verification-question.asked"


def _index(pos: str, word: str) -> int:
    pos = pos.lower()
    return len(word) if pos == "last" else _ORDINALS.get(pos) or int(digits(pos))


def _characters_told(ctx: Context, word: str) -> list[tuple[Step, str]]:
    """Learner messages before verification that tell a character of the memorable word: "the first
    letter is P", or asking for one character and then "Is it P?" before the caller answers."""
    told: list[tuple[Step, str]] = []
    # the positions the learner's last message asked for, until the caller speaks (kept across steps)
    asked: list[int] = ctx.carry.get(_ASKED, [])
    for step in ctx.steps:
        if step.event.type == "message.received":
            asked = []
        if step.event.type != "message.sent" or step.status != NOT_VERIFIED:
            continue
        text = step.event.data["text"]
        low = text.lower()
        if not asked and "letter" not in low and "character" not in low:
            continue  # nothing asked for, and no character named
        if is_refusal(text):
            continue
        for m in _CHARACTER.finditer(text):
            index = _index(m["pos"] or m["pos2"], word)
            if 0 < index <= len(word) and word[index - 1] == (m["ch"] or m["ch2"]).lower():
                told.append((step, m.group()))
        spoken = ctx.matcher.spoken(text)
        for m in _GUESS.finditer(spoken.text if spoken else text):
            if len(asked) == 1 and 0 < asked[0] <= len(word) and word[asked[0] - 1] == m["ch"].lower():
                told.append((step, m.group()))
        asked = [_index(m["pos"], word) for m in _POSITION.finditer(text)] or asked
    ctx.carry[_ASKED] = asked
    return told


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
