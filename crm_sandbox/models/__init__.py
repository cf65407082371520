"""The data models. Import them from here: ``from crm_sandbox.models import Contact``."""

from crm_sandbox.models.archive import ArchivedPack
from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.cohort import Cohort
from crm_sandbox.models.contact import Contact, Event
from crm_sandbox.models.credential import CredentialBatch
from crm_sandbox.models.customer import Customer, PriorInteraction, Transaction
from crm_sandbox.models.disclosure import DataView
from crm_sandbox.models.finding import Finding
from crm_sandbox.models.ledger import LedgerCheckpoint, LedgerLeaf, LedgerSalt
from crm_sandbox.models.level3 import Level3Event, Level3Task
from crm_sandbox.models.quality import (
    AccountStanding,
    Countersignature,
    IqaVerdict,
    StandardisationExercise,
    StandardisationMark,
    StandardisationOutcome,
)
from crm_sandbox.models.review import Assessment, CriterionJudgement, FindingDecision
from crm_sandbox.models.rule_state import RuleState
from crm_sandbox.models.seal import ChainSeal
from crm_sandbox.models.session import LoginThrottle, UserSession
from crm_sandbox.models.summary import ContactSummary
from crm_sandbox.models.user import ROLES, User

__all__ = [
    "AccountStanding",
    "ArchivedPack",
    "Assessment",
    "Base",
    "ChainSeal",
    "Cohort",
    "Contact",
    "ContactSummary",
    "CredentialBatch",
    "Countersignature",
    "CriterionJudgement",
    "Customer",
    "DataView",
    "Event",
    "Finding",
    "IqaVerdict",
    "FindingDecision",
    "LedgerCheckpoint",
    "Level3Event",
    "Level3Task",
    "LedgerLeaf",
    "LedgerSalt",
    "LoginThrottle",
    "RuleState",
    "PriorInteraction",
    "ROLES",
    "StandardisationExercise",
    "StandardisationMark",
    "StandardisationOutcome",
    "Transaction",
    "User",
    "UserSession",
    "utcnow",
]
