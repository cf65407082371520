"""Record keeping: notes that are late, and contacts closed with no note at all."""

from __future__ import annotations

from ..context import Context
from ..findings import RuleFinding, finding


def late_log(ctx: Context) -> list[RuleFinding]:
    """A note written more than the policy's tolerance after the contact closed."""
    closed = ctx.closed
    if closed is None:
        return []
    limit = ctx.policy.late_log_minutes
    out = []
    for step in ctx.of_type("note.added", "note.amended"):
        minutes = (step.event.at - closed.at).total_seconds() / 60
        if minutes > limit:
            out.append(
                finding(
                    "late-log",
                    [step.event.seq],
                    f"{minutes:.0f} minutes after closing",
                    f"This note was written {minutes:.0f} minutes after the contact closed (the limit is "
                    f"{limit:g}). Write notes during the contact or straight after, while they are accurate.",
                )
            )
    return out


def missing_log(ctx: Context) -> list[RuleFinding]:
    """The contact closed and no interaction note was ever written."""
    closed = ctx.closed
    if closed is None or ctx.of_type("note.added"):
        return []
    return [
        finding(
            "missing-log",
            [closed.seq],
            "no note",
            "The contact was closed without an interaction note. Record what the caller wanted, what you "
            "did and what happens next, so the next adviser can pick it up.",
        )
    ]
