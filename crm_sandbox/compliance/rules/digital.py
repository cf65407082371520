"""Digital channels: personal data in a public social-media reply; guidance given without checking that the
customer is following."""

from __future__ import annotations

import re

from ..context import Context
from ..findings import RuleFinding, finding

# A greeting by first name is how a public reply to a handle normally opens; everything else identifies them.
PUBLIC_OK = {"first_name"}
FIELD_WORDS = {"full_name": "name", "last_name": "surname", "address_line1": "address", "address_line2": "address",
               "date_of_birth": "date of birth", "account_number": "account number", "sort_code": "sort code"}  # fmt: skip
# The adviser checks the customer is following: what they see, whether it worked, whether it made sense.
CHECK = re.compile(
    r"can you see|do you see|what (?:can|do) you see|what(?:'s| is) on (?:the|your) screen|are you (?:there|on)|"
    r"has (?:that|it) (?:worked|opened|changed)|did (?:that|it) work|does (?:that|this) make sense|"
    r"is that (?:ok|okay|clear)|are you with me|let me know when|tell me when|what does it (?:say|show)|"
    r"have you (?:got|found)|with me so far|is it (?:there|showing)",
    re.I,
)


def public_reply_personal_data(ctx: Context) -> list[RuleFinding]:
    """A public reply (visible to everyone) that repeats the customer's personal data."""
    out = []
    for step in ctx.of_type("message.sent"):
        if step.event.data.get("public") is not True:
            continue
        fields = []
        for m in ctx.matcher.find(step.event.data["text"]):
            word = FIELD_WORDS.get(m.field, m.field.replace("_", " "))
            if m.field not in PUBLIC_OK and word not in fields:
                fields.append(word)
        if fields:
            out.append(
                finding(
                    "public-reply-personal-data",
                    [step.event.seq],
                    ", ".join(fields),
                    f"Your public reply repeats the customer's {', '.join(fields)}, which everyone can read. Reply "
                    "publicly without any personal details and move the conversation to a private message.",
                )
            )
    return out


def guidance_not_checked(ctx: Context) -> list[RuleFinding]:
    """Guided digital help: an instruction the caller followed, with no check of what they saw before the next."""
    moved = {s.event.data["message_seq"] for s in ctx.of_type("caller.screen")}
    if not moved:
        return []
    unchecked: list[int] = []
    pending: int | None = None  # the last instruction that moved the screen, not yet checked
    for step in ctx.of_type("message.sent"):
        seq, text = step.event.seq, step.event.data["text"]
        if pending is not None and seq in moved:
            unchecked.append(pending)  # the next step given before checking the last
        if seq in moved:
            pending = seq
        if CHECK.search(text):
            pending = None
    if not unchecked:
        return []
    return [
        finding(
            "guidance-not-checked",
            unchecked,
            f"{len(unchecked)} step(s)",
            "You moved the customer on to the next step without checking they had followed the last one. "
            "After each instruction, check what they can see or whether it worked before giving the next.",
        )
    ]
