"""One-time passwords kept for one download: saved with an import or reissue, taken once as CSV.

The payload is a Fernet token under the field keys, written and read with the cipher directly (not
through ``EncryptedText``, whose cache would keep the clear passwords in the worker's memory). It is
erased when downloaded, or once ``BATCH_LIFETIME`` has passed; the row stays a day so a second
attempt can say what happened, then goes.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound
from crm_sandbox.extensions import db
from crm_sandbox.formatting import neutralise, slug
from crm_sandbox.models import Cohort, CredentialBatch, utcnow
from crm_sandbox.models.personal import cipher

if TYPE_CHECKING:  # enrolment imports this module: the accounts' type is named for the checker only
    from crm_sandbox.operations.cohorts.enrolment import NewAccount

BATCH_LIFETIME = timedelta(hours=1)
ROW_LIFETIME = timedelta(days=1)
CSV_COLUMNS = ("username", "display_name", "role", "one_time_password")
REISSUE_HINT = (
    "If the passwords were not handed out, reissue them: “Reissue one-time password” in the "
    "cohort's account list, or flask --app crm_sandbox reissue-password USERNAME."
)


@dataclass(frozen=True)
class Download:
    filename: str
    body: str


def keep(accounts: Iterable["NewAccount"], created_by: int, cohort_id: int | None) -> int:
    """Save ``accounts`` (with ``username, display_name, role, password``) for one download by
    ``created_by``, inside the caller's write transaction; returns the batch id."""
    expire()
    rows = [[a.username, a.display_name, a.role, a.password] for a in accounts]
    token = cipher().encrypt(json.dumps(rows, ensure_ascii=False).encode()).decode()
    batch = CredentialBatch(created_by=created_by, cohort_id=cohort_id, payload=token)
    db.session.add(batch)
    db.session.flush()
    return batch.id


def expire() -> None:
    """Erase every payload past its lifetime and drop rows older than a day (in the caller's transaction)."""
    now = utcnow()
    db.session.execute(
        update(CredentialBatch)
        .where(CredentialBatch.payload.is_not(None), CredentialBatch.created_at < now - BATCH_LIFETIME)
        .values(payload=None)
    )
    db.session.execute(delete(CredentialBatch).where(CredentialBatch.created_at < now - ROW_LIFETIME))


def batch_of(batch_id: int, user_id: int) -> CredentialBatch:
    """The batch ``user_id`` made; anyone else's (or none) is NotFound."""
    batch = db.session.get(CredentialBatch, batch_id)
    if batch is None or batch.created_by != user_id:
        raise NotFound("There is no such file of one-time passwords.")
    return batch


def take(batch_id: int, user_id: int) -> Download:
    """The batch as CSV, once: the payload is erased in the same transaction that reads it."""
    with write_transaction():
        batch = db.session.execute(
            select(CredentialBatch).where(CredentialBatch.id == batch_id).with_for_update()
        ).scalar_one_or_none()
        if batch is None or batch.created_by != user_id:
            raise NotFound("There is no such file of one-time passwords.")
        refusal = refusal_for(batch)
        if refusal is None and batch.payload is not None:  # (refusal_for refuses a batch with no payload)
            rows = json.loads(cipher().decrypt(batch.payload.encode()))
            batch.downloaded_at = utcnow()
            cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
            name = (
                f"one-time-passwords-{slug(cohort.name) if cohort else 'accounts'}-{batch.created_at:%Y%m%d-%H%M}.csv"
            )
        batch.payload = None  # downloaded, or past its time: erased either way
    if refusal is not None:
        raise Conflict(refusal)
    return Download(name, to_csv(rows))


def refusal_for(batch: CredentialBatch) -> str | None:
    """Why the batch cannot be downloaded (again), in plain words; None if it can."""
    if batch.downloaded_at is not None:
        return (
            f"These one-time passwords were already downloaded (at {batch.downloaded_at:%H:%M} UTC): "
            f"the file can be downloaded once only. {REISSUE_HINT}"
        )
    if batch.payload is None or utcnow() - batch.created_at > BATCH_LIFETIME:
        return f"These one-time passwords are no longer kept (only for an hour, for one download). {REISSUE_HINT}"
    return None


def to_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read UTF-8 (names such as Zoë Ødegård)
