"""Reset benchmark: a cohort with 10,000 customers and 30 learners who each worked all 13 contacts.

Run: .venv/bin/python bench/bench_reset.py [CUSTOMERS] [LEARNERS]   (default 10,000 and 30)
Prints the time to archive (one signed evidence pack per learner, outside the write lock), the time of
the reset transaction (remove the cohort's evidence and accounts, reseed, rebuild queues), their sum (the
target: < 10 s), and the time to render the packs' printable PDFs after the commit (admin/renderings.py).
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.admin import renderings  # noqa: E402
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

            render = renderings.render_archived

            def timed_render(*args, **kwargs):  # the PDFs, rendered after the transaction has committed
                marks["committed"] = time.perf_counter()
                try:
                    return render(*args, **kwargs)
                finally:
                    marks["rendered"] = time.perf_counter()

            renderings.render_archived = timed_render
            start = time.perf_counter()
            result = reset_cohort("Bench cohort", progress=progress)
            total = time.perf_counter() - start
            archive = marks.get("seed", start + total) - start  # archive ends, the transaction begins
            committed = marks.get("committed", start + total) - start
            size = sum(p.size for p in result.packs)
            print(
                f"reset: {total:.2f} s in all — archiving {len(result.packs)} signed packs "
                f"({size / 1e6:.1f} MB, outside the write lock): ~{archive:.2f} s; "
                f"transaction (delete, reseed {customers:,}, rebuild, commit): ~{committed - archive:.2f} s"
            )
            print(
                f"archive + transaction: {committed:.2f} s (target < 10 s); then the printable PDFs, rendered "
                f"after the commit (no write lock): {total - committed:.2f} s"
                + (f" — {result.renderings_failed}" if result.renderings_failed else "")
            )
            print(f"removed: {result.removed}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
