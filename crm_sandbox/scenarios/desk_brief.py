"""What the desk shows a learner of a contact before any word is said, beside the customer's own words:
a colleague's handover note (a referred customer) or the callback task (an outbound call). Neither names
the scenario (``neutral``); both may hold what a real note holds, over-sharing included."""

from dataclasses import dataclass

from crm_sandbox.scenarios import caller


@dataclass(frozen=True)
class DeskBrief:
    referral_from: str = ""  # the colleague who referred the customer
    referral_note: str = ""  # their handover note, as written
    callback: str = ""  # an outbound call's task


def desk_brief(scenario: dict, customer: dict) -> DeskBrief:
    """The referral note and the callback task of ``scenario``, placeholders filled for ``customer``."""
    referral = scenario.get("referral") or {}
    return DeskBrief(
        referral_from=caller.fill(str(referral.get("from", "")), scenario, customer).strip(),
        referral_note=caller.fill(str(referral.get("note", "")), scenario, customer).strip(),
        callback=caller.fill(str(scenario.get("callback", "")), scenario, customer).strip(),
    )
