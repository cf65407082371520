"""The pure compliance engine: session data in, findings out. No Flask, no database.

    from crm_sandbox.compliance import load_session, evaluate, findings_json, SessionFormatError

``SessionDocument`` is the export document (``crm-sandbox/session@1``) the rules read; ``RuleFinding``
is a finding as the rules compute it (``crm_sandbox.models.Finding`` is a finding as stored).
"""

from .document import FORMAT, SessionDocument, SessionFormatError, load_session, parse_session
from .engine import RULES, evaluate, findings_json
from .findings import RuleFinding

__all__ = [
    "FORMAT",
    "RULES",
    "RuleFinding",
    "SessionDocument",
    "SessionFormatError",
    "evaluate",
    "findings_json",
    "load_session",
    "parse_session",
]
