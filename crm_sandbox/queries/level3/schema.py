"""Whether the database has the Level 3 tables yet (a database not yet upgraded by ``flask init-db`` has none)."""

from flask import current_app
from sqlalchemy import inspect

from crm_sandbox.extensions import db


def level3_enabled() -> bool:
    """Whether the database has the Level 3 tables (one not yet upgraded has no Level 3 work to export)."""
    if current_app.extensions.get("level3_enabled"):
        return True
    found = inspect(db.session.connection()).has_table("level3_task")
    if found:  # only a yes is kept: a database upgraded meanwhile is noticed
        current_app.extensions["level3_enabled"] = True
    return bool(found)
