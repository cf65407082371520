"""Views and reports read only through ``crm_sandbox/queries/`` (docs/architecture.md): no query is
written in them. The one use of the database session left in views/ is the error handler's rollback
of a write that failed (``views/errors.py``): it undoes, it reads nothing."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "crm_sandbox"
READERS = ("views", "reports")
ALLOWED_SESSION_CALLS = {"rollback"}


def queries_in(source: str) -> list[str]:
    """What in ``source`` is a database read written by hand, in words (line: what)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "select":
                found.append(f"{node.lineno}: select(...)")
        if isinstance(node, ast.Attribute):
            if node.attr == "query":
                found.append(f"{node.lineno}: .query")
            dotted = ast.unparse(node)
            if dotted.startswith("db.") and dotted.count(".") == 1 and node.attr != "session":
                found.append(f"{node.lineno}: {dotted}")  # db.get_or_404, db.first_or_404, db.paginate…
            if dotted.startswith("db.session.") and dotted.count(".") == 2 and node.attr not in ALLOWED_SESSION_CALLS:
                found.append(f"{node.lineno}: {dotted}")
        if (
            isinstance(node, ast.ImportFrom)
            and node.module in ("sqlalchemy", "sqlalchemy.orm")
            and any(alias.name in ("select", "Session", "selectinload", "joinedload") for alias in node.names)
        ):
            found.append(f"{node.lineno}: from {node.module} import {', '.join(a.name for a in node.names)}")
    return sorted(set(found), key=lambda s: int(s.split(":")[0]))


def test_views_and_reports_read_only_through_queries():
    problems = []
    for part in READERS:
        for path in sorted((PACKAGE / part).rglob("*.py")):
            problems += [f"{path.relative_to(PACKAGE.parent)}:{q}" for q in queries_in(path.read_text())]
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "rows = db.session.execute(select(Cohort)).scalars().all()\n",
        "user = db.get_or_404(User, 3)\n",
        "cohort = db.session.get(Cohort, 1)\n",
        "users = User.query.all()\n",
        "from sqlalchemy import select\n",
        "s = db.session.scalar(q)\n",
    ],
)
def test_a_query_in_a_view_is_caught(source):
    """The check itself: each of these lines, added to a view or a report, would fail the suite."""
    assert queries_in(source)


def test_what_views_may_do_passes():
    assert queries_in("db.session.rollback()\ncontact = access.get_contact_for(current_user, 3)\n") == []
    assert queries_in("from sqlalchemy.exc import DataError, OperationalError\n") == []
