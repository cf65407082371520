"""Time the PDF records: the Unicode fonts (the default) against the built-in Helvetica peer, in one run.

Run: .venv/bin/python bench/bench_pdf.py [--repeats 15]

Renders the same typical set each time: one contact's observation record and its learner's record (a
summary, then that learner's two played and reviewed contacts), for two casts of names: Latin-script
names (accents, Polish, Nordic, Greek) and a Chinese name with an emoji in the cohort's name (which load
the Noto Sans SC and Noto Emoji fallbacks). Modes:

- ``helvetica``: ``PDF_FONT = "helvetica"``, the old default (Latin-1 only: other characters print "?").
- ``unicode, fonts parsed per document``: the font cache emptied before each document, the cost every
  document paid when the TrueType font was loaded per document.
- ``unicode``: the default; fonts parsed once per process and reused (the first document pays the parse).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.models import Contact, User  # noqa: E402
from crm_sandbox.operations.cohorts.accounts import create_user  # noqa: E402
from crm_sandbox.operations.cohorts.queues import build_queue  # noqa: E402
from crm_sandbox.queries.review import contact_review, learner_reviews  # noqa: E402
from crm_sandbox.reports import fonts, pdf  # noqa: E402
from crm_sandbox.seeding import seed_customers  # noqa: E402
from tests.reporting import play_change_of_address, review_contact  # noqa: E402

PASSWORD = "bench-password"
CASTS = {  # cast -> (cohort, learner's display name, assessor's display name)
    "Latin-script names": ("Spring 2027", "Zoë Ødegård-Łukasiewicz", "Åsa Παπαδόπουλος"),
    "Chinese name, emoji": ("Spring 2027 \U0001f338", "王秀英", "Źdźbło Nilsen"),
}


def build(tmp: str, cast: str) -> tuple:
    """A fresh app with one cohort, a learner with two played, reviewed contacts, and their assessor."""
    cohort_name, learner_name, assessor_name = CASTS[cast]
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "bench",
            "BLIND_INDEX_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        },
        instance_path=f"{tmp}/instance",
    )
    with app.app_context():
        db.create_all()
        with write_transaction():
            cohort = get_or_create_cohort(cohort_name)
            seed_customers(cohort, 7, 50)
            learner = create_user("learner1", PASSWORD, "learner", display_name=learner_name, cohort=cohort)
            create_user("assessor1", PASSWORD, "assessor", display_name=assessor_name, cohort=cohort)
            db.session.flush()
            build_queue(learner, ["change-of-address", "balance-enquiry"])
            learner_id = learner.id
        contact_ids = (
            db.session.execute(select(Contact.id).where(Contact.learner_id == learner_id).order_by(Contact.id))
            .scalars()
            .all()
        )
    client = app.test_client()
    client.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    for cid in contact_ids:
        play_change_of_address(app, client, cid)
    for cid in contact_ids:
        review_contact(app, cid)
    return app, learner_id, contact_ids[0]


def render_set(app, learner_id: int, contact_id: int) -> int:
    """The contact record and the learner record; returns the bytes written."""
    with app.app_context():
        contact = pdf.contact_pdf(contact_review(db.session.get(Contact, contact_id)))
        learner = db.session.get(User, learner_id)
        record = pdf.learner_pdf(learner, learner_reviews(learner))
    return len(contact) + len(record)


MODES = (  # label, PDF_FONT, fonts parsed again before each document
    ("helvetica (Latin-1 only)", "helvetica", False),
    ("unicode, fonts parsed per document", "unicode", True),
    ("unicode, fonts parsed once", "unicode", False),
)


def render_timed(app, learner_id: int, contact_id: int, font: str, parse_each: bool) -> tuple[float, float, int]:
    """One set in one mode: (CPU seconds, wall seconds, bytes)."""
    app.config["PDF_FONT"] = font
    if parse_each:
        fonts.forget()
    cpu, wall = time.process_time(), time.perf_counter()
    size = render_set(app, learner_id, contact_id)
    return time.process_time() - cpu, time.perf_counter() - wall, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(
        f"Each set: one contact record + one learner record (2 contacts). Modes take turns; median of "
        f"{args.repeats}. CPU time of this process (steady on a shared machine), wall time beside it."
    )
    for cast, (cohort, learner, assessor) in CASTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            app, learner_id, contact_id = build(tmp, cast)
            fonts.forget()
            first = render_timed(app, learner_id, contact_id, "unicode", False)
            runs = {label: [] for label, _, _ in MODES}
            for _ in range(args.repeats):
                for label, font, parse_each in MODES:
                    runs[label].append(render_timed(app, learner_id, contact_id, font, parse_each))
        peer = statistics.median(cpu for cpu, _, _ in runs[MODES[0][0]])
        print(f"\n{cast}: cohort {cohort!r}, learner {learner!r}, assessor {assessor!r}")
        print(f"  {'mode':36} {'CPU ms':>8} {'x helvetica':>11} {'wall ms':>8} {'KB':>5}")
        for label, samples in runs.items():
            cpu = statistics.median(c for c, _, _ in samples)
            wall = statistics.median(w for _, w, _ in samples)
            print(f"  {label:36} {cpu * 1000:8.1f} {cpu / peer:11.2f} {wall * 1000:8.1f} {samples[-1][2] / 1024:5.0f}")
        print(f"  the process's first unicode set (parses the fonts it needs): CPU {first[0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
