"""Ending a call from the adviser's side: the policy's warning must come first, and the caller must have
had the chance to stop (a message from them after the warning)."""

from __future__ import annotations

import re

from ..context import Context
from ..findings import RuleFinding, finding

_END = r"(?:end|terminate|disconnect|finish|close)\w*|hang(?:ing)? up|put the phone down"
_CALL = r"(?:call|conversation|chat|line|contact)"
# "If it continues, I will end the call", "I'll have to end this call unless...", "...or I'll hang up".
WARNING = re.compile(
    rf"\b(?:if|unless|should)\b[^.?!]*\b(?:{_END})\b[^.?!]*?(?:\b{_CALL}\b|hang up)"
    rf"|\b(?:{_END})\b[^.?!]*\b{_CALL}\b[^.?!]*\b(?:if|unless)\b"
    rf"|\b(?:or|otherwise)\b,? (?:i|we)(?:'ll| will| shall)? (?:have to |need to )?(?:{_END})\b",
    re.I,
)


def is_warning(text: str) -> bool:
    """Whether the adviser's ``text`` warns that the call will be ended if the behaviour goes on."""
    return WARNING.search(text) is not None


def ended_without_warning(ctx: Context) -> list[RuleFinding]:
    """``call.ended`` with no warning before it, or with the caller given no chance to stop after it.

    Keeps the last warning in ``ctx.carry`` (so the fold runs it event by event)."""
    carried = ctx.carry.setdefault("ending", {"warned_at": None, "heard_since": False})  # the fold's state
    out = []
    for step in ctx.steps:
        ev = step.event
        warned_at = carried["warned_at"]
        if ev.type == "message.sent" and is_warning(str(ev.data["text"])):
            carried.update(warned_at=ev.seq, heard_since=False)
        elif ev.type == "message.received" and warned_at is not None:
            carried["heard_since"] = True
        elif ev.type == "call.ended":
            if warned_at is None:
                out.append(
                    finding(
                        "ended-without-warning",
                        [ev.seq],
                        "no warning",
                        "The call was ended without a warning. The policy: tell the caller clearly what must "
                        "stop and that the call will end if it continues; end it only if it does.",
                    )
                )
            elif not carried["heard_since"]:
                out.append(
                    finding(
                        "ended-without-warning",
                        [warned_at, ev.seq],
                        "ended straight after the warning",
                        "The call was ended straight after the warning, before the caller could stop. Give "
                        "them the chance to carry on properly first.",
                    )
                )
    return out
