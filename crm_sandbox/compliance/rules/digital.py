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
    """Guided digital help: an instruction the caller followed, with no check of what they saw before the next
    instruction moved their screen again (one finding per unchecked instruction).

    Reads each ``message.sent`` and ``caller.screen`` in turn, keeping what it needs in ``ctx.carry`` (so the
    fold runs it event by event)."""
    g = ctx.carry.setdefault("guidance", {"pending": None, "before": None, "last": None, "checked": False})
    out = []
    for step in ctx.steps:
        ev = step.event
        if ev.type == "message.sent":
            g["before"], g["last"] = g["pending"], ev.seq
            g["checked"] = CHECK.search(str(ev.data["text"])) is not None
            if g["checked"]:
                g["pending"] = None
        elif ev.type == "caller.screen":
            moved = ev.data["message_seq"]
            earlier = g["before"] if moved == g["last"] else g["pending"]
            if earlier is not None and earlier != moved:
                out.append(
                    finding(
                        "guidance-not-checked",
                        [earlier],
                        "the next step given before checking this one",
                        "You moved the customer on to the next step without checking they had followed the "
                        "last one. After each instruction, check what they can see or whether it worked before "
                        "giving the next.",
                    )
                )
            g["before"] = None
            g["pending"] = None if moved == g["last"] and g["checked"] else moved
    return out
