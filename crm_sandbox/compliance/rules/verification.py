"""The ID&V process itself: changes before verification and carrying on after lockout."""

from __future__ import annotations

from ..context import LOCKED, VERIFIED, Context
from ..findings import RuleFinding, finding


def change_before_verification(ctx: Context) -> list[RuleFinding]:
    """Account details changed while the caller was not verified (or after verification failed)."""
    out = []
    for step in ctx.of_type("record.updated"):
        if step.status == VERIFIED:
            continue
        field, value = step.event.data["field"], step.event.data["value"]
        when = "after verification had failed" if step.status == LOCKED else "before verification had passed"
        out.append(
            finding(
                "change-before-verification",
                [step.event.seq],
                f"{field} = {value}",
                f"You changed the customer's {field.replace('_', ' ')} {when}. A change of contact details "
                "before verification is the classic account-takeover step: verify first, then change.",
            )
        )
    return out


def verification_lockout_ignored(ctx: Context) -> list[RuleFinding]:
    """ID&V answers taken after the failed-answer limit was reached or verification had failed."""
    late = [s for s in ctx.of_type("idv.answer") if s.status == LOCKED or s.failures >= ctx.policy.lockout_attempts]
    if not late:
        return []
    first = late[0].event.data
    return [
        finding(
            "verification-lockout-ignored",
            [s.event.seq for s in late],
            f"{first.get('factor')}: {first.get('given')}",
            f"You carried on with security questions after {ctx.policy.lockout_attempts} failed answers "
            "(or after verification had failed). Once verification locks, stop, explain that you cannot go "
            "further, and offer the alternatives.",
        )
    ]
