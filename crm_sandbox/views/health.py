"""A bare liveness endpoint for monitoring (and the load benchmark's baseline): no database, no session."""

from flask import Blueprint
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """``ok`` while the app is serving requests (it does not touch the database)."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
