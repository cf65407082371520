"""Who saw what: the cost of recording a desk record view (a ``data_view`` row and its ledger leaf).

Run: .venv/bin/python bench/bench_disclosure.py [VIEWS]   (default 200)

A learner with a verified record open on a live contact (search results listed too: the page records
two rows, the search results and the record panel, in one write transaction) reloads the desk page
``GET /learner/contacts/ID`` through the test client, VIEWS times with the recording and VIEWS times with
it replaced by a no-op, alternating so both see the same machine load and the same growth of the table.
Prints the medians and their ratio.
"""

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.models import Contact, DataView  # noqa: E402
from crm_sandbox.operations.cohorts.accounts import create_user  # noqa: E402
from crm_sandbox.operations.cohorts.queues import build_queue  # noqa: E402
from crm_sandbox.seeding import seed_customers  # noqa: E402
from crm_sandbox.views import learner as learner_views  # noqa: E402

PASSWORD = "bench-password"


def main(views: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                "SECRET_KEY": "bench",
                "BLIND_INDEX_KEY": "bench",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "WTF_CSRF_ENABLED": False,
                "CHECKPOINT_INTERVAL": 0,
            },
            instance_path=f"{tmp}/instance",
        )
        with app.app_context():
            db.create_all()
            with write_transaction():
                cohort = get_or_create_cohort("Bench cohort")
                seed_customers(cohort, 1, 200)
                user = create_user("learner", PASSWORD, "learner", cohort=cohort)
                db.session.flush()
                build_queue(user, ["balance-enquiry"])
            contact = db.session.execute(select(Contact)).scalars().first()
            assert contact is not None
            cid, c = contact.id, contact.customer
            customer_id, last_name, postcode, dob = c.id, c.last_name, c.postcode, c.date_of_birth
        client = app.test_client()
        client.post("/auth/login", data={"username": "learner", "password": PASSWORD})
        base = f"/learner/contacts/{cid}"
        client.post(f"{base}/open")
        client.post(f"{base}/search", data={"query": last_name})
        client.post(f"{base}/customers/{customer_id}/view")
        for factor, given in (("date_of_birth", date.fromisoformat(dob).strftime("%d %B %Y")), ("postcode", postcode)):
            client.post(f"{base}/verify", data={"customer_id": customer_id, "factor": factor, "answer": given})

        recording = learner_views.disclosure.desk_view

        def timed() -> float:
            start = time.perf_counter()
            resp = client.get(base)
            took = time.perf_counter() - start
            assert resp.status_code == 200 and b"Verified" in resp.data
            return took

        for _ in range(10):  # warm up both paths
            timed()
        with_rec, without = [], []
        for _ in range(views):
            with_rec.append(timed())
            learner_views.disclosure.desk_view = lambda *args, **kwargs: []  # type: ignore[assignment]
            without.append(timed())
            learner_views.disclosure.desk_view = recording  # type: ignore[assignment]
        with app.app_context():
            rows = db.session.execute(select(func.count(DataView.id))).scalar()
    a, b = statistics.median(with_rec), statistics.median(without)
    print(f"desk record view (GET, median of {views}): {a * 1000:.2f} ms recorded, {b * 1000:.2f} ms not recorded")
    print(f"ratio: {a / b:.2f}x  ({a * 1000 - b * 1000:.2f} ms per view; {rows} data_view rows at the end)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
