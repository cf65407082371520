"""The pure compliance engine: session data in, findings out. No Flask, no database.

    from crm_sandbox.compliance import load_session, evaluate, findings_json, SessionFormatError
"""
from .engine import RULES, evaluate, findings_json
from .findings import Finding
from .session import FORMAT, Session, SessionFormatError, load_session, parse_session

__all__ = ["FORMAT", "RULES", "Finding", "Session", "SessionFormatError", "evaluate", "findings_json",
           "load_session", "parse_session"]
