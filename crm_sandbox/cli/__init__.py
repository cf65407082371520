"""``flask --app crm_sandbox …`` commands. Each docstring is the command's ``--help``."""

import json
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from crm_sandbox import ledger
from crm_sandbox.admin.demo import run_demo
from crm_sandbox.compliance import SessionFormatError, evaluate, load_session
from crm_sandbox.compliance.document import MAX_SESSION_BYTES, TOO_LARGE
from crm_sandbox.crypto import signing
from crm_sandbox.crypto.rotation import rotate_field_keys
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import ServiceError
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.chain import verify_log
from crm_sandbox.extensions import db
from crm_sandbox.models import ROLES, AccountStanding, Cohort, Contact, User, utcnow
from crm_sandbox.operations import disclosure, rule_states, summaries
from crm_sandbox.operations.cohorts.accounts import create_user, verify_password
from crm_sandbox.operations.cohorts.cohorts import cohort_by_name
from crm_sandbox.operations.cohorts.queues import build_queue
from crm_sandbox.policy import load_policy
from crm_sandbox.queries.level3.evidence import broken_streams
from crm_sandbox.queries.session_export import signed_session_document
from crm_sandbox.schema import BASELINE, SchemaError, Upgrade, current_revision, upgrade_database
from crm_sandbox.seeding import seed_customers

DEMO_COHORT = "Demo cohort"
DEMO_USERS = (
    ("learner1", "learner", "Alex Learner"),
    ("learner2", "learner", "Sam Learner"),
    ("leader1", "learner", "Riley Leader"),  # a team leader in training: the demo's Level 3 work
    ("assessor1", "assessor", "Jo Assessor"),
    ("trainer1", "trainer", "Pat Trainer"),
    ("iqa1", "iqa", "Chris Quality"),  # the demo cohort's internal quality assurer
    ("eqa1", "eqa", "Morgan External"),  # read-only, every cohort, for DEMO_EQA_DAYS
)
DEMO_EQA_DAYS = 365
DEMO_QUALIFICATIONS = {"leader1": "icq-l3-nvq-cco"}  # demo learners on their own qualification


def default_policy() -> dict:
    """seed/policy.yaml, or a plain error that stops the command (a bad file must not reach a cohort)."""
    try:
        return load_policy(current_app.config["SEED_DIR"])
    except ValueError as err:
        raise click.ClickException(str(err)) from None


def get_or_create_cohort(name: str) -> Cohort:
    cohort = db.session.execute(select(Cohort).where(Cohort.name == name)).scalar_one_or_none()
    if cohort is None:
        cohort = Cohort(name=name, policy=default_policy())
        db.session.add(cohort)
        db.session.flush()
    return cohort


def seed_with_progress(cohort: Cohort, seed: int, customers: int) -> None:
    with click.progressbar(length=customers, label=f"Seeding {customers} customers", show_pos=True) as bar:
        seed_customers(cohort, seed, customers, progress=bar.update)


def ensure_schema() -> Upgrade:
    """Bring the database to this release's schema through the migrations (creating it when empty)."""
    try:
        done = upgrade_database()
        signing.ensure_key(current_app.instance_path)  # every key exists once the instance is set up
        ledger.publish_latest()  # the upgrade's first checkpoint goes to the checkpoint file too
        return done
    except SchemaError as err:
        raise click.ClickException(str(err)) from err
    except Exception as err:  # a revision failed: its transaction was rolled back
        at = current_revision(db.engine) or "no revision (empty)"
        cause = (str(err).splitlines() or [""])[0]  # the driver's message, not the SQL or its parameters
        raise click.ClickException(
            f"The database upgrade stopped: a revision failed ({type(err).__name__}: {cause}). That revision "
            f"was rolled back; the database is at {at}, as the last finished revision left it. "
            "Fix the cause and run it again."
        ) from err


def describe_upgrade(upgrade: Upgrade) -> str | None:
    """One line on what the migrations did, or None when the database was already up to date."""
    if upgrade.adopted:
        then = "" if upgrade.after == BASELINE else f" and upgraded it to {upgrade.after}"
        return (
            f"Recognised a database of the release before migrations: stamped it {BASELINE}{then}; "
            "existing evidence is unchanged."
        )
    if upgrade.before is None and upgrade.changed:
        return f"Created the database tables (schema {upgrade.after})."
    if upgrade.changed:
        return f"Upgraded the database from {upgrade.before} to {upgrade.after}; existing evidence is unchanged."
    return None


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables, or upgrade them to this release's schema (existing data is kept)."""
    done = describe_upgrade(ensure_schema())
    click.echo(done or "Database ready: already up to date.")


@click.command("seed")
@with_appcontext
@click.option("--seed", "seed", type=int, default=None, help="Random seed: the same seed gives the same customers.")
@click.option("--customers", type=click.IntRange(1, 1_000_000), default=None, help="How many customers.")
@click.option("--cohort", "cohort_name", default=DEMO_COHORT, show_default=True, help="The cohort whose world to seed.")
def seed_command(seed: int | None, customers: int | None, cohort_name: str) -> None:
    """Generate a cohort's customers with Faker (en_GB), replacing any it had."""
    ensure_schema()
    seed = current_app.config["DEMO_SEED"] if seed is None else seed
    customers = customers or current_app.config["DEMO_CUSTOMERS"]
    with write_transaction():
        cohort = get_or_create_cohort(cohort_name)
        used = db.session.execute(select(func.count(Contact.id)).where(Contact.cohort_id == cohort.id)).scalar()
        if used:
            raise click.ClickException(
                f"{cohort_name} has {used} contacts that use its customers; reset the cohort instead."
            )
        seed_with_progress(cohort, seed, customers)
    click.echo(f"Seeded {customers} customers for {cohort_name} (seed {seed}).")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--cohort", "cohort_name", default=None, help="The cohort a learner or assessor belongs to.")
@click.option("--name", "display_name", default=None, help="The name shown in the app.")
@click.password_option()
def create_user_command(
    username: str, role: str, cohort_name: str | None, display_name: str | None, password: str
) -> None:
    """Create a user account (learners get a queue of every scenario)."""
    ensure_schema()
    try:
        with write_transaction():
            cohort = None
            if cohort_name:
                cohort = cohort_by_name(cohort_name)
            elif role == "learner":
                raise ServiceError("A learner needs a cohort: pass --cohort NAME.")
            create_account(username, password, role, display_name, cohort)
    except ServiceError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Created {role} {username}.")


def create_account(username: str, password: str, role: str, display_name: str | None, cohort: Cohort | None) -> User:
    """A new account in the current transaction; a learner gets a queue of every scenario."""
    user = create_user(username, password, role, display_name=display_name, cohort=cohort)
    if role == "eqa":  # an EQA account always ends
        db.session.flush()
        db.session.add(AccountStanding(user_id=user.id, expires_at=utcnow() + timedelta(days=DEMO_EQA_DAYS)))
    if role == "learner":
        db.session.flush()  # the queue's contacts need the learner's id
        build_queue(user)
    return user


@click.command("bootstrap")
@with_appcontext
@click.option(
    "--play-demo", is_flag=True, help="On first run, also play and review a few demo contacts (as `flask demo` does)."
)
def bootstrap_command(play_demo: bool) -> None:
    """Create or upgrade the database, seed it on first run, then print the demo logins (used by `make run`)."""
    default_policy()  # a bad seed/policy.yaml stops start-up here, with what is wrong
    upgraded = describe_upgrade(ensure_schema())
    if upgraded:
        click.echo(upgraded)
    config = current_app.config
    with write_transaction():
        cohort = get_or_create_cohort(DEMO_COHORT)
        first_run = not db.session.execute(select(User.id).limit(1)).first()
        if first_run:
            seed_with_progress(cohort, config["DEMO_SEED"], config["DEMO_CUSTOMERS"])
            for username, role, name in DEMO_USERS:
                user = create_account(
                    username, config["DEMO_PASSWORD"], role, name, None if role in ("trainer", "eqa") else cohort
                )
                user.qualification = DEMO_QUALIFICATIONS.get(username)  # the demo's team leader: Level 3
    if first_run:
        click.echo(f"Created the demo cohort with {config['DEMO_CUSTOMERS']} customers.")
        if play_demo:
            try:
                for line in run_demo(DEMO_COHORT, DEMO_USERS):
                    click.echo(f"  demo: {line}")
            except ServiceError as err:
                click.echo(f"The demo contacts were not played: {err}")
    purge_at_start()
    demo = demo_logins()
    if not demo:
        click.echo(
            "\nNo demo accounts: the demo cohort was reset (or its accounts deactivated); "
            "create accounts in the trainer console."
        )
        return
    click.echo("\nCRM Sandbox demo logins (password for each: %s)" % config["DEMO_PASSWORD"])
    for username, role in demo:
        click.echo(f"  {role:<9} {username}")


def purge_at_start() -> None:
    """Retention at start-up (``make run`` bootstraps): a problem is reported, never stops the start."""
    from crm_sandbox.admin import retention

    try:
        report = retention.purge()
    except ServiceError as err:
        click.echo(f"Retention purge skipped: {err}")
        return
    if report.anything:
        click.echo(f"Retention: {report.summary()}.")


def demo_logins() -> list[tuple[str, str]]:
    """(username, role) of the demo accounts that exist, may sign in, and still take the demo password (not
    changed, reissued, or a new account that took a demo name after a reset), in DEMO_USERS order."""
    names = [username for username, _, _ in DEMO_USERS]
    users = db.session.execute(
        select(User).where(
            User.username.in_(names),
            User.active.is_(True),
            User.erased_at.is_(None),
            User.must_change_password.is_(False),
        )
    ).scalars()
    password = current_app.config["DEMO_PASSWORD"]
    found = {u.username: u.role for u in users if u.is_active and verify_password(u.password_hash, password)}
    return [(name, found[name]) for name in names if name in found]


@click.command("export-session")
@click.argument("contact_id", type=int)
@with_appcontext
def export_session_command(contact_id: int) -> None:
    """Write a contact's session export (crm-sandbox/session@1, JSON) to stdout."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise click.ClickException(f"There is no contact {contact_id}.")
    doc = signed_session_document(contact)
    # Recorded before it is written out: the operator saw the full customer record (who saw what).
    disclosure.export_view(None, contact, contact_events(contact.id), [k for k in doc["customer"] if k != "id"])
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


@click.command("findings")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of findings.")
def findings_command(file: str, as_json: bool) -> None:
    """Run the rules on a session export FILE (no database needed); '-' reads stdin."""
    try:
        if file == "-":
            text = sys.stdin.read(MAX_SESSION_BYTES + 1)  # bounded: a pipe from /dev/zero is not read for ever
            if len(text) > MAX_SESSION_BYTES:
                raise SessionFormatError(f"stdin: {TOO_LARGE}")
            if not text.lstrip().startswith("{"):
                raise SessionFormatError("stdin: not a JSON object (a session export starts with '{')")
            findings = evaluate(load_session(text))
        else:
            findings = evaluate(load_session(file))
    except SessionFormatError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False))
        return
    if not findings:
        click.echo("No findings.")
    for f in findings:
        click.echo(f"[{f.severity}] {f.rule} (events {', '.join(map(str, f.events))}): {f.evidence}")
        click.echo(f"    {f.explanation}")
        click.echo(f"    Reference: {f.reference}")


@click.command("verify-log")
@with_appcontext
def verify_log_command() -> None:
    """Check every contact's event chain and signed heads, and the ledger: every evidential record
    against its newest leaf, every leaf's MAC, the Merkle tree against every signed checkpoint and the
    checkpoint file against the database. Name each problem; exit 1 if there is one."""
    statuses = verify_log()
    report = ledger.verify()
    streams, broken_level3 = broken_streams()
    for stream in broken_level3:
        click.echo(f"BROKEN: Level 3 stream {stream}: its event chain does not verify (an event changed or removed)")
    for s in statuses:  # a contact found tampered when the ledger came in: a warning, not approval
        if not s.ok and s.contact_id in report.tampered_before_upgrade:
            click.echo(f"WARNING: tampered before upgrade: {s.problem}")
    broken = [s for s in statuses if not s.ok and s.contact_id not in report.tampered_before_upgrade]
    for s in broken:
        click.echo(f"BROKEN: {s.problem}")
    for problem in report.problems:
        click.echo(f"BROKEN: {problem}")
    for warning in report.warnings:
        click.echo(f"WARNING: {warning}")
    if broken or report.problems or broken_level3:
        raise SystemExit(1)
    click.echo(
        f"OK: {len(statuses)} contacts, {sum(s.events for s in statuses)} events, "
        f"{sum(s.sealed for s in statuses)} with signed heads; every link verified. Ledger: {report.records} "
        f"records match their leaves ({report.attested} attested at upgrade, {report.gone} archived, purged "
        f"or deleted through the app), {report.leaves} leaves ({report.pending} pending), "
        f"{report.checkpoints} signed checkpoints consistent. Level 3: {streams} event streams verified."
    )


@click.command("rebuild-summaries")
@click.option("--cohort", "cohort_name", default=None, help="Only this cohort's contacts (default: every contact).")
@click.option("--check", is_flag=True, help="Change nothing: list the contacts whose summary differs; exit 1 if any.")
@with_appcontext
def rebuild_summaries_command(cohort_name: str | None, check: bool) -> None:
    """Derive every contact's summary (the dashboard's status, KPI times and findings by severity) and its
    rules-engine state afresh from its events, findings and sign-offs, and store them in place of the
    maintained ones."""
    cohort_id = None
    if cohort_name is not None:
        try:
            cohort_id = cohort_by_name(cohort_name).id
        except ServiceError as err:
            raise click.ClickException(str(err)) from None
    query = select(Contact.id).order_by(Contact.id)
    if cohort_id is not None:
        query = query.where(Contact.cohort_id == cohort_id)
    ids = list(db.session.execute(query).scalars())
    total = len(ids)
    if check:
        derived, kept = summaries.derive(db.session(), ids), summaries.stored(db.session(), ids)
        differ = [cid for cid in ids if derived.get(cid) != kept.get(cid)]
        for cid in differ:
            changed = sorted(k for k in summaries.COLUMNS if derived[cid][k] != kept[cid][k])
            click.echo(f"contact {cid}: {', '.join(changed)} differ")
        click.echo(f"{len(differ)} of {total} summaries differ from their events.")
        states = rule_states.differing(db.session(), ids)
        for cid in states:
            click.echo(f"contact {cid}: rules state differs")
        click.echo(f"{len(states)} of {total} rules states differ from their events.")
        if differ or states:
            raise SystemExit(1)
        return
    with write_transaction():
        with click.progressbar(length=total, label=f"Rebuilding {total} contact summaries", show_pos=True) as bar:
            done = summaries.rebuild(db.session(), cohort_id, progress=bar.update)
        with click.progressbar(length=total, label=f"Rebuilding {total} rules states", show_pos=True) as bar:
            rule_states.rebuild(db.session(), ids, progress=bar.update)
    click.echo(f"Rebuilt {done} contact summaries and rules states from their events.")


@click.command("checkpoint")
@with_appcontext
@click.option("--reason", default="cron", show_default=True, help="Recorded in the checkpoint.")
def checkpoint_command(reason: str) -> None:
    """Sequence the ledger's pending leaves and sign a checkpoint now (for cron; writes also do it when
    pending leaves are older than CHECKPOINT_INTERVAL). Prints the signed note."""
    click.echo(ledger.checkpoint_now(reason).note(), nl=False)


CONSISTENCY_LINE = "consistency-from"


@click.command("latest-checkpoint")
@with_appcontext
@click.option(
    "--from-size",
    "from_size",
    type=click.IntRange(0),
    default=None,
    help="Also print the consistency proof from the checkpoint of this many leaves (a pack's tree size).",
)
def latest_checkpoint_command(from_size: int | None) -> None:
    """Print the latest signed checkpoint (keep a copy away from this server: it proves the log later).

    With --from-size N, a last line ``consistency-from N [hex, ...]``: the proof that this checkpoint's tree
    extends the one of N leaves. Save the output to a file and give it to verify-pack --checkpoint."""
    head = ledger.latest_checkpoint()
    if head is None:
        raise click.ClickException("There is no checkpoint yet: run `flask checkpoint`.")
    if from_size is not None and from_size > head.size:
        raise click.ClickException(
            f"The latest checkpoint has {head.size} leaves, fewer than {from_size}: no consistency proof from "
            "a larger tree (was the database rolled back? run verify-log)."
        )
    click.echo(head.note(), nl=False)
    if from_size is not None:
        click.echo(f"{CONSISTENCY_LINE} {from_size} {json.dumps(ledger.consistency(from_size, head))}")


@click.command("rotate-keys")
@with_appcontext
def rotate_keys_command() -> None:
    """Add a new field-encryption key and re-encrypt every row with it (the old key can then go).

    Stop the app server first: running workers keep the keys they started with, so until they are
    restarted they cannot read the re-encrypted rows.
    """
    from crm_sandbox.admin import archive

    path = rotate_field_keys(progress=lambda label, n: click.echo(f"  {label}: {n} rows re-encrypted"))
    packs = archive.reseal_all()
    click.echo(f"  archive: {packs} evidence pack(s) re-encrypted")
    click.echo(
        f"New key added at the top of {path}; every row now uses it. Restart the app server now "
        "if it is running (its workers still hold the old keys). Remove the old key line(s) from "
        "that file once backups made with them have expired."
    )


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Play and review a few of the demo cohort's contacts, so there is a finished assessment to see."""
    try:
        for line in run_demo(DEMO_COHORT, DEMO_USERS):
            click.echo(line)
    except ServiceError as err:
        raise click.ClickException(str(err)) from err


def register(app: Flask) -> None:
    for command in (
        init_db_command,
        seed_command,
        create_user_command,
        bootstrap_command,
        demo_command,
        export_session_command,
        findings_command,
        verify_log_command,
        rebuild_summaries_command,
        checkpoint_command,
        latest_checkpoint_command,
        rotate_keys_command,
    ):
        app.cli.add_command(command)
    register_pack_commands(app)


# --- Evidence packs (issue 5, exports; issue 15, packs that prove themselves) -----------------------------
@click.command("export-pack")
@click.argument("username")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="Where to write the zip.",
)
@with_appcontext
def export_pack_command(username: str, output: str) -> None:
    """Write a learner's signed evidence pack (crm-sandbox/evidence-pack@2, zip) to FILE.

    Refuses, writing nothing, when the evidence behind it does not verify (as verify-log checks it).
    """
    from crm_sandbox.admin.packs import PackRefused, build_verified_pack, check_pack
    from crm_sandbox.crypto import signing

    learner = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if learner is None or learner.role != "learner":
        raise click.ClickException(f"There is no learner called {username!r}.")
    try:
        data = build_verified_pack(learner)
    except PackRefused as err:
        raise click.ClickException(str(err)) from err
    disclosure.pack_view(None, learner, f"signed evidence pack written to {output} (flask export-pack)")
    with open(output, "wb") as fh:
        fh.write(data)
    report = check_pack(data, signing.public_key_pem())
    click.echo(f"Wrote {output}: {report.files} files for {learner.username}, signed by {signing.fingerprint()}")


def _key_file(path: str, option: str) -> bytes:
    from pathlib import Path

    from crm_sandbox.crypto import signing

    with Path(path).open("rb") as fh:
        data = fh.read(64 * 1024 + 1)  # a PEM public key is well under 1 KB
    if len(data) > 64 * 1024:
        raise click.ClickException(f"{option} {path}: not a public key file (larger than 64 KB)")
    try:
        signing.load_public_key(data)
    except signing.SigningKeyError as err:
        raise click.ClickException(f"{option} {path}: {err}") from err
    return data


def _later_checkpoint(checkpoint: str | None, consistency: str | None) -> tuple[str, list[bytes]] | None:
    """--checkpoint (a later signed checkpoint note, as ``latest-checkpoint`` prints it, with its
    ``consistency-from`` line when printed with --from-size) and --consistency (a JSON list of hex hashes: the
    consistency proof from the pack's checkpoint to it; overrides the line)."""
    from pathlib import Path

    if checkpoint is None:
        if consistency is not None:
            raise click.ClickException("--consistency needs --checkpoint (the later checkpoint it leads to).")
        return None
    try:
        note, proof = [], []
        for line in Path(checkpoint).read_text(encoding="utf-8").splitlines():
            if line.startswith(CONSISTENCY_LINE + " "):
                proof = json.loads(line.split(" ", 2)[2])
            else:
                note.append(line)
        if consistency:
            proof = json.loads(Path(consistency).read_text())
        return "\n".join(note).strip() + "\n", [bytes.fromhex(h) for h in proof]
    except (ValueError, TypeError, IndexError, UnicodeDecodeError) as err:
        raise click.ClickException(f"--checkpoint/--consistency: not readable ({err})") from err


def _pack_source(file: str) -> "str | bytes":
    """FILE, or its zip decrypted in memory when it is an archived pack sealed with this centre's field key
    (read only up to the size a pack may have; anything else is checked as the file it is)."""
    from pathlib import Path

    from crm_sandbox.admin import archive
    from crm_sandbox.admin.packs import MAX_PACK

    try:
        with open(file, "rb") as fh:
            if not archive.is_sealed(fh.read(6)):
                return file
            fh.seek(0)
            stored = fh.read(MAX_PACK * 2 + 1)  # a Fernet token is base64: about 4/3 of the zip
    except OSError:
        return file  # check_pack names the problem
    if len(stored) > MAX_PACK * 2 or not Path(file).is_file():
        raise click.ClickException(f"{file} is too large to be an archived evidence pack.")
    try:
        data = archive.unseal(stored)
    except ServiceError as err:
        raise click.ClickException(f"{file}: {err}") from err
    except Exception as err:  # noqa: BLE001 - no usable field keys on this machine (FIELD_KEYS)
        raise click.ClickException(f"{file} is an encrypted archived pack; it cannot be decrypted here ({err}).")
    click.echo(f"Note: {file} is an archived pack, encrypted with this centre's field key: decrypted in memory.")
    return data


def _renderings_problems(file: str, source: "str | bytes", key: str | bytes | None) -> list[str]:
    """An archived pack's printable PDFs, rendered after its reset beside it (``admin/renderings.py``):
    checked as the pack is (their signature, every PDF's bytes, and that they render this pack)."""
    from pathlib import Path

    from crm_sandbox.admin import archive, renderings

    beside = archive.renderings_path(Path(file))
    if key is None or not isinstance(source, bytes) or not file.endswith(archive.PACK_SUFFIX) or not beside.is_file():
        return []  # no key here to check a signature with: the pack's own check says so
    try:
        rendered = archive.unseal(beside.read_bytes())
    except ServiceError as err:
        return [f"{beside.name}: {err}"]
    problems = [f"{beside.name}: {p}" for p in renderings.verify_renderings(rendered, source, key)]
    if not problems:
        click.echo(f"Note: the printable PDFs beside it ({beside.name}) verified: signed, intact, of this pack.")
    return problems


@click.command("verify-pack")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False),
    help="The PEM public key to check against (default: this sandbox's own signing key).",
)
@click.option(
    "--trust",
    "trust",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Also trust this PEM public key (another centre's, or an earlier key of this one). Repeatable.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False),
    help="A later signed ledger checkpoint the pack's must be consistent with (the output of "
    "`flask latest-checkpoint --from-size N`, N the pack's tree size).",
)
@click.option(
    "--consistency",
    type=click.Path(exists=True, dir_okay=False),
    help="The consistency proof to --checkpoint (JSON list of hex hashes).",
)
@with_appcontext
def verify_pack_command(
    file: str, public_key: str | None, trust: tuple[str, ...], checkpoint: str | None, consistency: str | None
) -> None:
    """Check an evidence pack FILE, in memory: the signature, every file's SHA-256, each contact's signed
    chain head. Exit 0: verified against a trusted key; 1: a problem (each named); 3: intact, but signed by a
    key this machine does not trust (pass --public-key or --trust)."""
    import os
    from pathlib import Path

    from crm_sandbox.admin.packs import check_pack
    from crm_sandbox.crypto import signing

    trusted = [_key_file(path, "--trust") for path in trust]
    source = _pack_source(file)
    key: str | bytes | None = None
    if public_key:
        key = _key_file(public_key, "--public-key")
    elif os.environ.get(signing.ENV_VAR) or Path(current_app.instance_path, signing.KEY_FILE).exists():
        key = signing.public_key_pem()  # the key exists: reading it creates nothing
    later = _later_checkpoint(checkpoint, consistency)
    report = check_pack(source, key, trusted=trusted, later=later)
    report.problems += _renderings_problems(file, source, key)
    for note in report.notes:
        click.echo(f"Note: {note}")
    if report.problems:
        for problem in report.problems:
            click.echo(problem)
        if any(p.startswith("manifest.sig: signature invalid") for p in report.problems):
            click.echo(
                "If the pack comes from a centre whose public key you hold and trust, pass --trust THAT_KEY.pem."
            )
        click.echo(f"FAILED: {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} in {file}")
        sys.exit(1)
    heads = f" and {report.heads} chain head{'s' if report.heads != 1 else ''}" if report.heads else ""
    proofs = (
        f", {report.ledger_records} ledger records proven in the checkpoint of {report.ledger_size} leaves"
        if report.ledger_records
        else ""
    )
    if not report.signer_trusted:
        click.echo(
            f"UNVERIFIED SIGNER: {report.files} files{heads} are intact, but the pack is signed by a key this "
            f"machine does not know ({report.fingerprint}): anyone could have made it. Compare the fingerprint "
            "with the issuing centre's public-key page, then pass its key with --public-key or --trust KEYFILE."
        )
        sys.exit(3)
    click.echo(f"OK: {report.files} files{heads} verified{proofs}, signed by {report.fingerprint}")


def register_pack_commands(app: Flask) -> None:
    for command in (export_pack_command, verify_pack_command):
        app.cli.add_command(command)
