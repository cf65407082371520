"""Reset benchmark: a cohort with 10,000 customers and 30 learners who each worked all 13 contacts.

Run: .venv/bin/python bench/bench_reset.py [CUSTOMERS] [LEARNERS]   (default 10,000 and 30)
Prints the time to archive (one signed evidence pack per learner, outside the write lock) and the
time of the reset transaction (remove the cohort's evidence and accounts, reseed, rebuild queues).
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.admin.reset import reset_cohort  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.models import Contact, Event, User  # noqa: E402
from crm_sandbox.operations.cohorts.accounts import create_user  # noqa: E402
from crm_sandbox.operations.cohorts.queues import build_queue  # noqa: E402
from crm_sandbox.operations.desk.lifecycle import close_contact, open_contact  # noqa: E402
from crm_sandbox.operations.desk.notes import add_note  # noqa: E402
from crm_sandbox.seeding import seed_customers  # noqa: E402


def main(customers: int = 10_000, learners: int = 30) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                "SECRET_KEY": "bench",
                "BLIND_INDEX_KEY": "bench",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "ARCHIVE_DIR": f"{tmp}/archive",
            }
        )
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            with write_transaction():
                cohort = get_or_create_cohort("Bench cohort")
                seed_customers(cohort, 1, customers)
                ids = []
                for n in range(learners):
                    user = create_user(f"learner{n:02d}", "bench-password", "learner", cohort=cohort)
                    db.session.flush()
                    build_queue(user)
                    ids.append(user.id)
            for uid in ids:
                user = db.session.get(User, uid)
                for contact in db.session.execute(select(Contact).where(Contact.learner_id == uid)).scalars().all():
                    open_contact(contact, user)
                    add_note(contact, user, "Caller verified; query answered.", None)
                    close_contact(contact, user, "information-given", "yes")
            contacts = db.session.execute(select(func.count(Contact.id))).scalar()
            events = db.session.execute(select(func.count(Event.id))).scalar()
            print(
                f"set-up: {customers:,} customers, {learners} learners, {contacts} contacts, {events:,} events "
                f"({time.perf_counter() - start:.1f} s)"
            )

            marks = {}

            def progress(step, done, total):
                marks.setdefault(step, time.perf_counter())

            start = time.perf_counter()
            result = reset_cohort("Bench cohort", progress=progress)
            total = time.perf_counter() - start
            archive = marks.get("seed", start + total) - start  # archive ends, the transaction begins
            size = sum(p.size for p in result.packs)
            print(
                f"reset: {total:.2f} s in all — archiving {len(result.packs)} signed packs "
                f"({size / 1e6:.1f} MB, outside the write lock): ~{archive:.2f} s; "
                f"transaction (delete, reseed {customers:,}, rebuild, commit): ~{total - archive:.2f} s"
            )
            print(f"removed: {result.removed}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
