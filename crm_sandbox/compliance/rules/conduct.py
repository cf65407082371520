"""Working within the contact: other customers' records, authority, escalation, templates."""

from __future__ import annotations

from ..context import Context
from ..document import parse_amount
from ..findings import RuleFinding, finding
from ..language import placeholders


def record_access_without_contact(ctx: Context) -> list[RuleFinding]:
    """Records viewed that belong to a customer other than the contact's own."""
    own = ctx.session.customer_id
    seen: dict[str, list[int]] = {}
    for step in ctx.of_type("customer.viewed"):
        other = str(step.event.data["customer_id"])
        if other != own:
            seen.setdefault(other, []).append(step.event.seq)
    return [
        finding(
            "record-access-without-contact",
            seqs,
            other,
            f"You opened the record of customer {other}, who is not part of this contact. Only open the "
            "records you need for the customer in front of you.",
        )
        for other, seqs in seen.items()
    ]


def beyond_authority(ctx: Context) -> list[RuleFinding]:
    """A refund or credit larger than the policy's authority limit."""
    limit = ctx.policy.authority_limit
    out = []
    for step in ctx.of_type("refund.issued"):
        amount = parse_amount(step.event.data["amount"], "amount")
        if amount > limit:
            out.append(
                finding(
                    "beyond-authority",
                    [step.event.seq],
                    f"£{amount:,.2f}",
                    f"You issued £{amount:,.2f}, above your authority limit of £{limit:,.2f}. Refer larger "
                    "refunds or credits to a supervisor.",
                )
            )
    return out


def missed_escalation(ctx: Context) -> list[RuleFinding]:
    """The scenario needed an escalation and the contact closed without one."""
    closed = ctx.closed
    if not ctx.session.scenario.requires_escalation or closed is None:
        return []
    if any(s.event.seq < closed.seq for s in ctx.of_type("escalated")):
        return []
    return [
        finding(
            "missed-escalation",
            [closed.seq],
            ctx.session.scenario.title or ctx.session.scenario.id,
            "This contact needed escalating (it is beyond an adviser's remit) and it was closed without "
            "one. Refer it to a supervisor or the specialist team before closing.",
        )
    ]


def unpersonalised_template(ctx: Context) -> list[RuleFinding]:
    """A message sent with template placeholders still in it."""
    out = []
    for step in ctx.of_type("message.sent"):
        text = step.event.data["text"]
        for start, end in placeholders(text):
            out.append(
                finding(
                    "unpersonalised-template",
                    [step.event.seq],
                    text[start:end],
                    f"Your message still contains the placeholder {text[start:end]}. Fill in or remove every "
                    "placeholder before sending a template.",
                )
            )
    return out
