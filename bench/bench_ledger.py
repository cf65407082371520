"""Ledger benchmark: the cost of the ledger on an event append, of a checkpoint, and of verify-log.

Run: .venv/bin/python bench/bench_ledger.py [APPENDS]   (default 300)
Times APPENDS notes added (one write transaction each: event, leaf, findings refresh) with the ledger's
flush hook and without it, prints the ratio; then one checkpoint over the pending leaves, and the
ledger check of verify-log over everything.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from crm_sandbox import create_app, ledger  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.models import Contact, LedgerLeaf  # noqa: E402
from crm_sandbox.operations.cohorts.accounts import create_user  # noqa: E402
from crm_sandbox.operations.cohorts.queues import build_queue  # noqa: E402
from crm_sandbox.operations.desk.lifecycle import open_contact  # noqa: E402
from crm_sandbox.operations.desk.notes import add_note  # noqa: E402
from crm_sandbox.seeding import seed_customers  # noqa: E402


def timed_appends(contact: Contact, user: object, n: int) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        add_note(contact, user, f"Note {i}: caller verified, query answered.", None)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return times


def main(appends: int = 300) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                "SECRET_KEY": "bench",
                "BLIND_INDEX_KEY": "bench",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "CHECKPOINT_INTERVAL": 0,  # no checkpoint during the timed appends
            },
            instance_path=tmp,
        )
        with app.app_context():
            db.create_all()
            with write_transaction():
                cohort = get_or_create_cohort("Bench cohort")
                seed_customers(cohort, 1, 200)
                user = create_user("learner", "bench-password", "learner", cohort=cohort)
                db.session.flush()
                build_queue(user)
            contacts = db.session.execute(select(Contact).order_by(Contact.id).limit(3)).scalars().all()
            for c in contacts:
                open_contact(c, user)
            timed_appends(contacts[0], user, appends)
            pending = db.session.query(LedgerLeaf).filter(LedgerLeaf.index.is_(None)).count()
            start = time.perf_counter()
            ledger.checkpoint_now("bench")
            checkpoint = time.perf_counter() - start
            start = time.perf_counter()
            report = ledger.verify()
            verify = time.perf_counter() - start
            # Alternate, so both sides see the same machine load and the same growth of their contact.
            with_ledger, without = [], []
            for _ in range(appends):
                with_ledger += timed_appends(contacts[1], user, 1)
                event.remove(db.session, "after_flush", ledger._after_flush)
                without += timed_appends(contacts[2], user, 1)
                event.listen(db.session, "after_flush", ledger._after_flush)
        a, b = statistics.median(with_ledger), statistics.median(without)
        print(f"append (add_note, median of {appends}): {a * 1000:.2f} ms with the ledger, {b * 1000:.2f} ms without")
        print(f"ratio: {a / b:.2f}x")
        print(f"checkpoint of {pending} pending leaves: {checkpoint * 1000:.1f} ms")
        print(f"verify: {report.records} records, {report.leaves} leaves in {verify * 1000:.0f} ms; ok={report.ok}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
