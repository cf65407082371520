"""Import benchmark: 30 and 300 accounts through the import service, one-time passwords as now (a
keyed HMAC) and, as the peer in the same run, as before (each hashed with the configured slow method,
scrypt N=2^17, on up to 4 threads).

Run: .venv/bin/python bench/bench_import.py [--sizes 30 300] [--peer-sizes 30 300]
Each import runs in a fresh temporary instance with the production settings (the peer at 300 accounts
takes a minute or more on 2 cores). Times include parsing, the username checks, hashing, the insert
and, as in the console, keeping the passwords for their one download.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_sandbox.services import enrolment  # noqa: E402
from flask import current_app  # noqa: E402

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.operations.cohorts.accounts import authenticate, create_user, hash_password  # noqa: E402

FAST = enrolment.hash_one_time_passwords
METHOD = [""]  # the configured slow method, as the run found it


def slow_hashes(passwords, progress=None):
    """The old way (before issue 12): the configured slow method on up to 4 threads (scrypt releases the GIL)."""
    app = current_app._get_current_object()

    def one(password):
        with app.app_context():
            return hash_password(password)

    hashes = []
    with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        for h in pool.map(one, passwords):
            hashes.append(h)
            if progress:
                progress(1)
    return hashes


def users_csv(n: int) -> str:
    return "username,display_name,role\n" + "".join(f"learner{i:04d},Learner {i},learner\n" for i in range(n))


def timed_import(n: int, hasher) -> tuple[float, float]:
    """Seconds to import ``n`` accounts into a fresh instance, and one sign-in with a new one-time password."""
    enrolment.hash_one_time_passwords = hasher
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                    "SECRET_KEY": "bench",
                    "BLIND_INDEX_KEY": "bench",
                },
                instance_path=f"{tmp}/instance",
            )
            with app.app_context():
                db.create_all()
                with write_transaction():
                    cohort = get_or_create_cohort("Bench cohort")
                    trainer = create_user("trainer1", "bench-password", "trainer")
                    db.session.flush()
                    cohort_id, trainer_id = cohort.id, trainer.id
                start = time.perf_counter()
                issued = enrolment.import_users(cohort_id, users_csv(n), kept_for=trainer_id)
                seconds = time.perf_counter() - start
                METHOD[0] = app.config["PASSWORD_HASH_METHOD"]
                assert len(issued.accounts) == n and issued.batch_id
                first = issued.accounts[0]
                authenticate("nobody", "warm-up")  # the first attempt also makes the dummy hash: not timed
                start = time.perf_counter()
                assert authenticate(first.username, first.password) is not None
                sign_in = time.perf_counter() - start
                for engine in db.engines.values():
                    engine.dispose()
    finally:
        enrolment.hash_one_time_passwords = FAST
    return seconds, sign_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--peer-sizes", type=int, nargs="*", default=[30, 300])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast import per size (median shown)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    fast = {}
    for n in args.sizes:
        runs = []
        for _ in range(args.repeat):
            runs.append(timed_import(n, FAST))
        fast[n] = statistics.median(s for s, _ in runs)
        print(
            f"now  (keyed HMAC one-time passwords): {n:>4} accounts in {fast[n]:.3f} s "
            f"(median of {args.repeat}; sign-in with one: {runs[-1][1] * 1000:.0f} ms)",
            flush=True,
        )
    for n in args.peer_sizes:
        seconds, sign_in = timed_import(n, slow_hashes)
        ratio = f"; {seconds / fast[n]:.0f}× the time of now" if n in fast else ""
        print(
            f"peer ({METHOD[0]} one-time passwords, as before): {n:>4} accounts in {seconds:.2f} s "
            f"(sign-in with one: {sign_in * 1000:.0f} ms){ratio}",
            flush=True,
        )


if __name__ == "__main__":
    main()
