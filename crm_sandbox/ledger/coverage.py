"""Which tables are evidence the ledger covers (and which columns of them), and which are not, and why.

Every table in the models' metadata must be in EVIDENTIAL or EXEMPT, and every column of an evidential
table in its ``columns`` or its ``exempt``: tests/test_ledger_coverage.py fails otherwise, so a table or
column added later is covered, or consciously left out, never forgotten. Adding a column to ``columns``
changes the commitment of every existing row: the revision that adds it must re-attest the table
(``ledger.attest_existing``).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Coverage:
    table: str
    columns: tuple[str, ...]  # the covered content, committed in every leaf of a row
    ref: Callable[[Row], str]  # the record's name in the log, from its covered content
    subject: Callable[[Row], str]  # whose salt hides it
    exempt: Mapping[str, str] = field(default_factory=dict)  # column -> why it is not evidence


def _contact_subject(row: Row) -> str:
    return f"contact:{row['contact_id']}"


EVIDENTIAL: dict[str, Coverage] = {
    c.table: c
    for c in (
        Coverage(
            "cohort",
            ("id", "name", "status", "seed", "policy", "created_at", "generation", "qualification"),
            lambda r: f"cohort:{r['id']}",
            lambda r: f"cohort:{r['id']}",
        ),
        Coverage(
            "user",
            (
                "id",
                "username",
                "display_name",
                "role",
                "cohort_id",
                "active",
                "erased_at",
                "created_at",
                "qualification",
            ),
            lambda r: f"user:{r['id']}",
            lambda r: f"user:{r['id']}",
            {
                "password_hash": "a secret, replaced by every password change; signing in is not evidence",
                "must_change_password": "account housekeeping (a one-time password not yet replaced)",
            },
        ),
        Coverage(
            "contact",
            (
                "id",
                "cohort_id",
                "learner_id",
                "customer_id",
                "scenario_id",
                "channel",
                "status",
                "scenario",
                "policy",
                "created_at",
                "opened_at",
                "closed_at",
                "role_player_id",
                "mode",
                "assessor_id",
            ),
            lambda r: f"contact:{r['id']}",
            lambda r: f"contact:{r['id']}",
            {"position": "the order of a learner's queue, rearranged by trainers; not evidence of the work"},
        ),
        Coverage(
            "event",
            ("contact_id", "seq", "at", "actor", "actor_user_id", "type", "data", "mac"),
            lambda r: f"event:{r['contact_id']}:{r['seq']}",
            _contact_subject,
            {
                "id": "a row number: an event is named by its contact and seq",
                "form_token": "the one-time token that refuses a form sent twice; not evidence",
            },
        ),
        Coverage(
            "chain_seal",
            ("id", "contact_id", "seq", "mac", "signature", "signed_at"),
            lambda r: f"chain_seal:{r['id']}",
            _contact_subject,
        ),
        Coverage(
            "finding",
            (
                "id",
                "contact_id",
                "key",
                "rule",
                "severity",
                "events",
                "evidence",
                "explanation",
                "reference",
                "active",
                "first_seen",
                "source",
                "created_by",
            ),
            lambda r: f"finding:{r['id']}",
            _contact_subject,
        ),
        Coverage(
            "finding_decision",
            ("id", "finding_id", "assessor_id", "decision", "comment", "at"),
            lambda r: f"finding_decision:{r['id']}",
            lambda r: f"finding:{r['finding_id']}",
        ),
        Coverage(
            "criterion_judgement",
            ("id", "contact_id", "criterion_id", "met", "status", "comment", "assessor_id", "at"),
            lambda r: f"criterion_judgement:{r['id']}",
            _contact_subject,
        ),
        Coverage(
            "assessment",
            (
                "id",
                "contact_id",
                "assessor_id",
                "outcome",
                "feedback",
                "signed_at",
                "released_at",
                "learner_comment",
                "acknowledged_at",
                "version",
                "override_reason",
                "snapshot",
                "voided_at",
                "voided_by",
                "void_reason",
            ),
            lambda r: f"assessment:{r['contact_id']}:{r['version']}",
            _contact_subject,
        ),
        # Who saw which customer's personal data, when, and whether entitled: exactly what an auditor (or a
        # data-protection officer answering "who has seen this record?") relies on, so an edited or deleted
        # row must be detected like any other evidence.
        Coverage(
            "data_view",
            (
                "id",
                "at",
                "user_id",
                "role",
                "cohort_id",
                "contact_id",
                "customer_id",
                "customers",
                "kind",
                "fields",
                "entitled",
                "detail",
            ),
            lambda r: f"data_view:{r['id']}",
            lambda r: f"contact:{r['contact_id']}" if r["contact_id"] is not None else f"cohort:{r['cohort_id']}",
        ),
        # Level 3 work (issue 21): the task as assigned and where it stands, and every score, analysis,
        # discussion and sign-off on it, the opt-ins to review and the trainer's reference scorings.
        Coverage(
            "level3_task",
            (
                "id",
                "cohort_id",
                "learner_id",
                "kind",
                "title",
                "spec",
                "status",
                "assigned_by",
                "created_at",
                "submitted_at",
                "signed_at",
                "outcome",
            ),
            lambda r: f"level3_task:{r['id']}",
            lambda r: f"level3_task:{r['id']}",  # not the learner's: erasing their account must not orphan it
        ),
        Coverage(
            "level3_event",
            ("cohort_id", "stream", "seq", "at", "actor", "actor_user_id", "type", "data", "mac"),
            lambda r: f"level3_event:{r['stream']}:{r['seq']}",
            lambda r: f"level3:{r['stream']}",
            {"id": "a row number: a Level 3 event is named by its stream and seq"},
        ),
        Coverage(
            "customer",  # what a pack's session.json shows of the account, so a swapped record is caught
            ("id", "cohort_id", "learner_id", "ref", "product", "personal"),
            lambda r: f"customer:{r['id']}",
            lambda r: f"customer:{r['id']}",
            {
                f"{name}_index": "a blind index computed from the personal data, which is covered"
                for name in ("last_name", "postcode", "account_number", "email", "phone")
            },
        ),
        Coverage(
            "archived_pack",
            (
                "id",
                "cohort_name",
                "cohort_generation",
                "learner_username",
                "path",
                "sha256",
                "size",
                "created_at",
                "retention_until",
            ),
            lambda r: f"archived_pack:{r['id']}",
            lambda r: f"archived_pack:{r['id']}",
        ),
        # Quality assurance (issue 20): countersignatures, the IQA's verdicts and the assessor's answers,
        # standardisation exercises, blind marks and agreed outcomes are all evidence of the centre's QA.
        Coverage(
            "account_standing",
            ("user_id", "assessor_status", "qualified_on", "expires_at"),
            lambda r: f"account_standing:{r['user_id']}",
            lambda r: f"user:{r['user_id']}",
        ),
        Coverage(
            "countersignature",
            ("id", "contact_id", "assessment_id", "version", "countersigned_by", "comment", "at"),
            lambda r: f"countersignature:{r['id']}",
            _contact_subject,
        ),
        Coverage(
            "iqa_verdict",
            (
                "id",
                "contact_id",
                "assessment_id",
                "version",
                "iqa_id",
                "verdict",
                "comment",
                "action",
                "deadline",
                "at",
                "answer",
                "answered_by",
                "answered_at",
            ),
            lambda r: f"iqa_verdict:{r['id']}",
            _contact_subject,
        ),
        Coverage(
            "standardisation_exercise",
            ("id", "cohort_id", "title", "contact_ids", "rater_ids", "created_by", "created_at"),
            lambda r: f"standardisation_exercise:{r['id']}",
            lambda r: f"cohort:{r['cohort_id']}",
        ),
        Coverage(
            "standardisation_mark",
            ("id", "exercise_id", "contact_id", "rater_id", "marks", "at"),
            lambda r: f"standardisation_mark:{r['id']}",
            _contact_subject,
        ),
        Coverage(
            "standardisation_outcome",
            ("id", "exercise_id", "contact_id", "outcome", "actions", "reopen", "recorded_by", "at"),
            lambda r: f"standardisation_outcome:{r['id']}",
            _contact_subject,
        ),
    )
}

EXEMPT: dict[str, str] = {
    "account_transaction": "seed data of the fictional customers (a refund a learner issues is an event)",
    "prior_interaction": "seed data of the fictional customers",
    "user_session": "sign-in sessions: security housekeeping, not evidence of competence",
    "login_throttle": "failed sign-in counters: security housekeeping",
    "credential_batch": "one-time passwords kept an hour for one download: secrets, then erased",
    "ledger_leaf": "the ledger itself: protected by its MACs, the Merkle tree and the signed checkpoints",
    "ledger_checkpoint": "the ledger's signed heads: protected by their signatures and the checkpoint file",
    "ledger_salt": "the salts: destroyed on erasure by design, so they cannot be evidence themselves",
    "contact_summary": "a derived read model for the dashboard, rebuilt from the covered events, findings and "
    "sign-offs by `flask rebuild-summaries`: a tampered summary is corrected, never relied on as evidence",
    "rule_state": "the rules engine's state after a contact's last event, derived from the covered events and "
    "rebuilt from them when missing, stale or unreadable (`flask rebuild-summaries`): the findings are the evidence",
}

# Event types are covered as rows of the ``event`` table, whatever their type: none is exempt.
EXEMPT_EVENT_TYPES: dict[str, str] = {}

LABELS = {
    "contact": "contact",
    "event": "event",
    "chain_seal": "signed head",
    "finding": "finding",
    "finding_decision": "finding decision",
    "criterion_judgement": "criterion judgement",
    "assessment": "assessment",
    "user": "account",
    "cohort": "cohort",
    "archived_pack": "archived pack",
    "customer": "customer record",
    "data_view": "data view",
    "account_standing": "standing of account",
    "countersignature": "countersignature",
    "iqa_verdict": "IQA verdict",
    "standardisation_exercise": "standardisation exercise",
    "standardisation_mark": "standardisation mark",
    "standardisation_outcome": "standardisation outcome",
    "level3_task": "Level 3 task",
    "level3_event": "Level 3 event",
}
FIELD_LABELS = {
    "learner_id": "learner",
    "customer_id": "customer",
    "cohort_id": "cohort",
    "scenario_id": "scenario",
    "assessor_id": "assessor",
    "role_player_id": "role player",
    "actor_user_id": "actor",
    "finding_id": "finding",
    "contact_id": "contact",
    "countersigned_by": "countersigner",
    "iqa_id": "IQA",
    "answered_by": "answered by",
}


def describe(ref: str) -> str:
    """A record's name for people: "contact 12", "event 12#7", "assessment for contact 12"."""
    table, _, rest = ref.partition(":")
    if table == "event":
        contact, _, seq = rest.partition(":")
        return f"event {contact}#{seq}"
    if table == "assessment":
        contact, _, version = rest.partition(":")
        return f"assessment version {version} for contact {contact}" if version else f"assessment for contact {contact}"
    return f"{LABELS.get(table, table)} {rest}"


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))
