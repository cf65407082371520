"""Alembic's environment: runs inside the app, for ``flask db …`` and for schema.upgrade_database().

Each revision runs in one transaction together with its alembic_version update, so a run that fails or
is interrupted leaves the database at the last revision that finished, and a second run carries on
from there. On SQLite the app's engine emits its own BEGIN (database.configure_engine), which makes
DDL transactional there as on PostgreSQL, so Alembic is told so; that BEGIN is IMMEDIATE here, so the
migration holds the write lock from its start. A database of the release before migrations is
recognised and stamped first (schema.adopt_release_database).
"""

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext
from flask import current_app

from crm_sandbox import schema
from crm_sandbox.database import WRITE_LOCK

config = context.config
migrate = current_app.extensions["migrate"]
target_metadata = migrate.db.metadata

if config.config_file_name and not config.attributes.get("quiet") and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def skip_empty_autogenerate(_context: MigrationContext, _revision: object, directives: list[Any]) -> None:
    """`flask db migrate` with no model changes writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic.env").info("No changes in schema detected.")


def run_migrations_offline() -> None:
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    context.configure(
        url=migrate.db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        transaction_per_migration=True,
        **migrate.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with migrate.db.engine.connect() as connection, schema.sqlite_foreign_keys_off(connection):
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection = connection.execution_options(**{WRITE_LOCK: True})
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
            transactional_ddl=True,
            on_version_apply=schema.check_foreign_keys if sqlite else None,
            process_revision_directives=skip_empty_autogenerate,
            **migrate.configure_args,
        )
        stamping = config.attributes.get("stamping")  # stamp_head(): the tables are the models', at head
        if not stamping and schema.adopt_release_database(context.get_context(), context.script):
            config.attributes["adopted"] = True
            logging.getLogger("alembic.env").info(
                "Recognised a database of the release before migrations: stamped %s.", schema.BASELINE
            )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
