"""One pure function per rule id: ``rule(ctx: Context) -> list[RuleFinding]``."""

from .collection import over_collection, payment_card_data, special_category_data
from .conduct import beyond_authority, missed_escalation, record_access_without_contact, unpersonalised_template
from .digital import guidance_not_checked, public_reply_personal_data
from .disclosure import disclosure_before_verification, disclosure_to_third_party, leading_verification_question
from .ending import ended_without_warning
from .handover import handover_oversharing
from .logging import late_log, missing_log
from .verification import change_before_verification, verification_lockout_ignored

__all__ = [
    "beyond_authority",
    "change_before_verification",
    "disclosure_before_verification",
    "disclosure_to_third_party",
    "ended_without_warning",
    "handover_oversharing",
    "guidance_not_checked",
    "late_log",
    "leading_verification_question",
    "missed_escalation",
    "missing_log",
    "over_collection",
    "payment_card_data",
    "public_reply_personal_data",
    "record_access_without_contact",
    "special_category_data",
    "unpersonalised_template",
    "verification_lockout_ignored",
]
