"""The trainer's commands: ``flask --app crm_sandbox import-users|reissue-password|reset-cohort|purge|purge-archive``.

Each docstring is the command's ``--help``.
"""

import sys
from typing import TYPE_CHECKING, BinaryIO

import click
from flask import Flask
from flask.cli import with_appcontext

from crm_sandbox.admin.reset import reset_cohort
from crm_sandbox.cli import ensure_schema
from crm_sandbox.errors import ServiceError
from crm_sandbox.operations.cohorts import accounts as account_service
from crm_sandbox.operations.cohorts import cohorts, enrolment

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

STEP_LABELS = {
    "archive": "Archiving evidence packs",
    "seed": "Generating new customers",
    "render": "Rendering the packs' printable PDFs",
}


class StepBars:
    """One click progress bar per step of a reset (``progress(step, done, total)``)."""

    def __init__(self) -> None:
        self.step: str | None = None
        self.bar: ProgressBar[int] | None = None
        self.done = 0

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step or self.bar is None:
            self.close()
            self.step, self.done = step, 0
            self.bar = click.progressbar(length=total, label=STEP_LABELS.get(step, step), show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("import-users")
@click.argument("cohort_name", metavar="COHORT")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_users_command(cohort_name: str, file: BinaryIO) -> None:
    """Create the accounts listed in the CSV FILE (username,display_name,role) in COHORT, all or none.

    Prints each new account's one-time password (shown once: users change it at first sign-in).
    """
    ensure_schema()
    data = file.read(enrolment.MAX_FILE_BYTES + 1)  # bounded: a huge file or /dev/zero is not read whole
    if len(data) > enrolment.MAX_FILE_BYTES:
        raise click.ClickException(
            f"Nothing was imported: the file is larger than {enrolment.MAX_FILE_BYTES // (1024 * 1024)} MB "
            f"(at most {enrolment.MAX_ROWS:,} accounts of a few short fields each): is this the right file?"
        )
    try:
        cohort = cohorts.cohort_by_name(cohort_name)
        rows = enrolment.parse_users_csv(data)
        with click.progressbar(
            length=len(rows), label="Hashing one-time passwords", show_pos=True, file=sys.stderr
        ) as bar:
            accounts = enrolment.import_users(cohort.id, data, progress=bar.update).accounts
    except enrolment.ImportProblems as err:
        for problem in err.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"Nothing was imported ({len(err.problems)} problem(s)).") from err
    except ServiceError as err:
        raise click.ClickException(str(err)) from err
    click.echo("username,display_name,role,one_time_password")
    for a in accounts:
        click.echo(f"{a.username},{a.display_name},{a.role},{a.password}")
    click.echo(f"Imported {len(accounts)} account(s) into {cohort_name}. The passwords above are shown once.", err=True)


@click.command("reissue-password")
@click.argument("username")
@with_appcontext
def reissue_password_command(username: str) -> None:
    """Give USERNAME a new one-time password, printed once: their old password stops working, they are
    signed out everywhere, and they choose their own password at next sign-in. Works for trainers too
    (the console refuses trainer accounts); not for erased accounts.
    """
    ensure_schema()
    try:
        user = account_service.find_account(username)
        account = enrolment.reissue_password(user.id, trainers_too=True).accounts[0]
    except ServiceError as err:
        raise click.ClickException(str(err)) from err
    click.echo(account.password)
    click.echo(
        f"New one-time password for {account.username} ({account.role}), shown once: hand it to them. "
        "Their sessions have ended.",
        err=True,
    )
    if not user.active:
        click.echo("The account is disabled: enable it before they can sign in.", err=True)


@click.command("reset-cohort")
@click.argument("cohort_name", metavar="COHORT")
@click.option("--seed", type=int, default=None, help="Seed of the new customers (default: a new random seed).")
@click.option(
    "--customers", type=click.IntRange(1, 1_000_000), default=None, help="How many customers (default: as many as now)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset_cohort_command(cohort_name: str, seed: int | None, customers: int | None, yes: bool) -> None:
    """Archive COHORT's evidence (a signed pack per learner), then give it a fresh world: its contacts,
    events, reviews and learner/assessor accounts are removed and its customers regenerated."""
    ensure_schema()
    if not yes:
        click.confirm(f"Archive and reset {cohort_name}? Its accounts and live evidence will be removed", abort=True)
    bars = StepBars()
    try:
        result = reset_cohort(cohort_name, seed=seed, customers=customers, progress=bars)
    except ServiceError as err:
        raise click.ClickException(str(err)) from err
    finally:
        bars.close()
    click.echo(f"Archived {len(result.packs)} evidence pack(s) to {result.archive_dir}")
    for username, problems in sorted(result.problems.items()):
        click.echo(
            f"WARNING: the evidence of {username} failed verification; archived anyway, its pack carries a signed "
            "problems.json naming it:"
        )
        for problem in problems:
            click.echo(f"  {problem}")
    if result.renderings_failed:
        click.echo(f"WARNING: {result.renderings_failed}.")
    removed = ", ".join(f"{n} {table}" for table, n in result.removed.items())
    click.echo(f"Removed {removed}.")
    click.echo(
        f"{cohort_name} has {result.customers} new customers (seed {result.seed}); reset {result.generation} time(s)."
    )


def run_purge() -> None:
    """Apply retention now and say what went (shared by ``purge`` and ``purge-archive``)."""
    from crm_sandbox.admin import retention

    ensure_schema()
    try:
        report = retention.purge()
    except ServiceError as err:
        raise click.ClickException(str(err)) from err
    for path in report.packs:
        click.echo(f"purged {path}")
    for name in report.cohorts:
        click.echo(f"purged the live evidence of closed cohort {name}")
    click.echo(f"Purged {len(report.packs)} expired pack(s).")
    click.echo(
        f"Purged {len(report.cohorts)} closed cohort(s), {report.sessions} ended sign-in session(s) and "
        f"{report.throttle} old failed-sign-in record(s)."
        + (" Recorded in the ledger (a signed checkpoint)." if report.anything else " Nothing else was due.")
    )


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Apply retention now (for cron; the app also runs it at start-up and every RETENTION_PURGE_HOURS):
    archived packs and closed cohorts' live evidence past ARCHIVE_RETENTION_DAYS, sign-in sessions over for
    SESSION_RECORD_DAYS, failed-sign-in records THROTTLE_RECORD_DAYS old. Each purge is a ledger entry."""
    run_purge()


@click.command("purge-archive")
@with_appcontext
def purge_archive_command() -> None:
    """Delete archived evidence packs whose retention period has ended (ARCHIVE_RETENTION_DAYS, as configured
    now); the same as ``purge``, which also applies the live database's retention."""
    run_purge()


def register(app: Flask) -> None:
    for command in (
        import_users_command,
        reissue_password_command,
        reset_cohort_command,
        purge_command,
        purge_archive_command,
    ):
        app.cli.add_command(command)
