"""The ID&V process itself: changes before verification and carrying on after lockout."""

from __future__ import annotations

from ..context import LOCKED, VERIFIED, Context
from ..document import parse_amount
from ..findings import RuleFinding, finding


def change_before_verification(ctx: Context) -> list[RuleFinding]:
    """An account action (a change of details, a refund or a credit) while the caller was not verified,
    or after verification had failed."""
    out = []
    for step in ctx.of_type("record.updated", "refund.issued"):
        if step.status == VERIFIED:
            continue
        when = "after verification had failed" if step.status == LOCKED else "before verification had passed"
        data = step.event.data
        if step.event.type == "record.updated":
            field = str(data["field"])
            evidence, what = f"{field} = {data['value']}", f"changed the customer's {field.replace('_', ' ')}"
            why = "A change of contact details before verification is the classic account-takeover step"
        else:
            amount = parse_amount(data["amount"], "amount")
            kind = "goodwill credit" if data.get("kind") == "goodwill" else "refund"
            evidence, what = f"{kind} £{amount:,.2f}", f"issued a {kind} of £{amount:,.2f}"
            why = "Money paid to an account for a caller nobody has verified may be paid to an impostor"
        out.append(
            finding(
                "change-before-verification",
                [step.event.seq],
                evidence,
                f"You {what} {when}. {why}: verify first, then act.",
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
