"""The layers import downwards only (docs/architecture.md): views/cli → admin → reports →
queries/operations → events/scenarios/content → models and infrastructure → compliance.

Every import in ``crm_sandbox/`` is read from the source (module level and inside functions), so an import
that dodges a cycle by hiding in a function is caught too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "crm_sandbox"

# Rank of each top-level part of the package: a module may import its own rank or lower.
RANKS = {
    "__init__": 7,
    "views": 7,
    "cli": 7,
    "migrations": 7,
    "admin": 6,
    "reports": 5,
    "queries": 4,
    "operations": 4,
    "events": 3,
    "ledger": 3,
    "scenarios": 3,
    "content": 3,
    "seeding": 3,
    "schema": 3,
    "models": 2,
    "crypto": 2,
    "database": 2,
    "extensions": 2,
    "config": 2,
    "formatting": 2,
    "policy": 2,
    "errors": 2,
    "security": 2,
    "files": 2,
    "compliance": 1,
    "quality": 1,
}
# The rules engine must run on an archived export with no app: no web framework or database library.
PURE = {
    part: ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy", "werkzeug", "crm_sandbox")
    for part in ("compliance", "quality")
}


def part_of(module: str) -> str:
    """``crm_sandbox.operations.desk.notes`` -> ``operations``; the package itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) for every import in ``source``, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            if base == "crm_sandbox":  # from crm_sandbox import x: x is the module
                found += [(node.lineno, f"crm_sandbox.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, base))
    return found


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """What in ``source`` (the text of ``module``) breaks the layers, in words."""
    own = part_of(module)
    problems = []
    for line, target in imports(source, module, is_package):
        top = target.split(".")[0]
        if own in PURE and top in PURE[own] and not (top == "crm_sandbox" and part_of(target) == own):
            problems.append(f"{module}:{line} imports {target} (the rules engine imports no app or framework code)")
        elif top == "crm_sandbox" and target != "crm_sandbox":
            theirs = part_of(target)
            if theirs not in RANKS:
                problems.append(f"{module}:{line} imports {target}, which has no layer: add it to RANKS")
            elif RANKS[theirs] > RANKS[own]:
                problems.append(
                    f"{module}:{line} imports {target}: {own} (layer {RANKS[own]}) may not import "
                    f"{theirs} (layer {RANKS[theirs]})"
                )
    return problems


def test_every_part_of_the_package_has_a_layer():
    parts = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    }
    assert parts - set(RANKS) == set()


def test_imports_run_downwards_only():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        problems += violations(module_name(path), path.read_text(), path.name == "__init__.py")
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("crm_sandbox.operations.desk.notes", "from crm_sandbox.reports import pdf\n", "may not import reports"),
        (
            "crm_sandbox.operations.review",
            "def f():\n    from crm_sandbox.views import assessor\n",
            "may not import views",
        ),
        ("crm_sandbox.reports.pdf", "from crm_sandbox.admin.packs import build_pack\n", "may not import admin"),
        ("crm_sandbox.models.contact", "from crm_sandbox.queries import kpis\n", "may not import queries"),
        ("crm_sandbox.compliance.rules.conduct", "import flask\n", "imports no app or framework code"),
        ("crm_sandbox.compliance.engine", "from sqlalchemy import select\n", "imports no app or framework code"),
        (
            "crm_sandbox.compliance.engine",
            "from crm_sandbox.models import Contact\n",
            "imports no app or framework code",
        ),
        ("crm_sandbox.events.append", "from ..operations import findings\n", "may not import operations"),
    ],
)
def test_a_forbidden_import_is_caught(module, source, expected):
    """The check itself: each of these imports, added to the module named, would fail the suite."""
    found = violations(module, source)
    assert len(found) == 1 and expected in found[0]


def test_allowed_imports_pass():
    assert violations("crm_sandbox.views.learner", "from crm_sandbox.operations.desk import notes\n") == []
    assert violations("crm_sandbox.admin.reset", "from crm_sandbox.reports import pdf\n") == []
    assert violations("crm_sandbox.compliance.engine", "from .rules import conduct\nimport re\n") == []
