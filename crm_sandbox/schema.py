"""The database schema belongs to Alembic: ``upgrade_database()`` brings any earlier database to head.

A database made by the release before migrations (``create_all``, no alembic_version table) is adopted:
its tables are compared with what the baseline revision creates; if they match it is stamped
``0001_baseline`` and upgraded from there, and if not the upgrade stops, changing nothing.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Index, MetaData, Table, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import conv

BASELINE = "0001_baseline"


class SchemaError(RuntimeError):
    """The database cannot be brought to this release's schema; nothing was changed.

    A RuntimeError, so ``flask db upgrade`` (Flask-Migrate) reports it as an error and exits 1."""


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade_database`` did: the revision before (None: empty or unversioned) and after."""

    before: str | None
    after: str | None
    adopted: bool  # a database of the release before migrations, stamped at the baseline

    @property
    def changed(self) -> bool:
        return self.adopted or self.before != self.after


def upgrade_database(revision: str = "head", directory: str | None = None) -> Upgrade:
    """Run the migrations up to ``revision`` on the app's database (in an app context), quietly."""
    from flask import current_app

    from crm_sandbox.extensions import db

    config = current_app.extensions["migrate"].migrate.get_config(directory)
    config.attributes["quiet"] = True  # the caller says what happened; env.py leaves logging alone
    before = current_revision(db.engine)
    try:
        command.upgrade(config, revision)
    except CommandError as err:  # e.g. the database is at a revision this release does not know
        raise SchemaError(f"The database could not be upgraded: {err}") from err
    finally:
        current_app.extensions.pop("ledger_enabled", None)  # the ledger's tables may exist now
    return Upgrade(before, current_revision(db.engine), bool(config.attributes.get("adopted")))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def adopt_release_database(context: MigrationContext, script: ScriptDirectory) -> bool:
    """Stamp a database of the release before migrations at the baseline (and commit), if it is one.

    Returns whether it did. Raises :class:`SchemaError` when unversioned tables do not match the
    baseline: they are someone else's, or were changed by hand, and upgrading them could lose evidence.
    """
    connection = context.connection
    if connection is None:  # offline (--sql): nothing to inspect
        return False
    if context.get_current_heads():
        return False
    tables = set(inspect(connection).get_table_names()) - {context.version_table}
    if not tables:
        return False  # an empty database: the migrations build it
    problems = schema_differences(connection, baseline_metadata(script))
    if problems:
        connection.rollback()
        shown = "; ".join(problems[:8]) + ("; …" if len(problems) > 8 else "")
        raise SchemaError(
            "This database has tables but no migration history, and they do not match the schema of "
            f"CRM Sandbox's previous release ({BASELINE}), so it was left unchanged. Differences: {shown}. "
            "Check DATABASE_URL names the sandbox's own database, or restore it from a backup."
        )
    context.stamp(script, BASELINE)
    connection.commit()
    return True


class _Recorder:
    """Stands in for ``alembic.op`` while the baseline runs: builds its tables as MetaData instead."""

    f = staticmethod(conv)

    def __init__(self) -> None:
        self.metadata = MetaData()

    def create_table(self, name: str, *items: Any, **kw: Any) -> Table:
        return Table(name, self.metadata, *items, **kw)

    def create_index(self, name: str, table: str, columns: list[str], unique: bool = False, **kw: Any) -> Index:
        found = self.metadata.tables[table]
        return Index(name, *(found.c[c] for c in columns), unique=unique, **kw)


def baseline_metadata(script: ScriptDirectory) -> MetaData:
    """The tables the baseline revision creates (what the release before migrations made with create_all)."""
    recorder = _Recorder()
    script.get_revision(BASELINE).module.create_schema(recorder)
    return recorder.metadata


def schema_differences(connection: Connection, metadata: MetaData) -> list[str]:
    """How the database's tables differ from ``metadata``, in words (empty: they match)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [_describe(diff) for diff in _flatten(compare_metadata(context, metadata))]


def _flatten(diffs: Iterable[Any]) -> Iterator[Any]:
    for diff in diffs:
        if isinstance(diff, list):  # column modifications come grouped
            yield from diff
        else:
            yield diff


def _describe(diff: Any) -> str:  # a tuple from alembic's compare_metadata
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return f"table {diff[1].name} is {'missing' if kind == 'add_table' else 'not expected'}"
    if kind in ("add_column", "remove_column"):
        return f"column {diff[2]}.{diff[3].name} is {'missing' if kind == 'add_column' else 'not expected'}"
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        thing = diff[1]
        what = kind.split("_", 1)[1].replace("fk", "foreign key")
        where = getattr(getattr(thing, "table", None), "name", None) or getattr(thing, "parent", None)
        return f"{what} {thing.name or ''} on {where} is {'missing' if kind.startswith('add') else 'not expected'}"
    if kind.startswith("modify_"):
        return f"column {diff[2]}.{diff[3]} differs ({kind.removeprefix('modify_')})"
    return str(kind)


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrations run (a batch copy drops and renames tables, which with
    them on would cascade deletes), checked before each revision commits, and on again afterwards.

    The pragma only works outside a transaction, so it goes straight to the driver's connection."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw: Any = connection.connection.driver_connection  # the DB-API connection (sqlite3's)
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()  # migrations commit their own work; this ends a trailing read
        raw.execute("PRAGMA foreign_keys=ON")
        if raw.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
            connection.invalidate()  # never hand the pool a connection without its foreign keys


def check_foreign_keys(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """``on_version_apply`` on SQLite: refuse to commit a revision that left a dangling reference."""
    if ctx.connection is None:  # offline (--sql): nothing ran, so nothing to check
        return
    dangling = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        tables = sorted({row[0] for row in dangling})
        raise SchemaError(
            f"Revision {step.up_revision_id} left rows pointing at missing rows in "
            f"{', '.join(tables)}; it was rolled back."
        )


def stamp_head() -> None:
    """Mark a database whose tables ``create_all`` just made from the models as at head (tests, benchmarks:
    the models equal head, which tests/test_migrations.py checks)."""
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    config.attributes["quiet"] = True
    config.attributes["stamping"] = True
    command.stamp(config, "head")
