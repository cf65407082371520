"""College-scale load (issue 18): 300 learners and 30 assessors at once against gunicorn with 4 workers,
on SQLite and then on PostgreSQL.

Run: .venv/bin/python bench/bench_college.py [--quick] [--database sqlite|postgresql|both]

Each run is ``bench/bench_load.py`` with a college's settings: learners think 10 s on average (uniformly
5-15 s) between actions and their page polls the conversation every 1.5 s while a contact is live (as
``static/js/desk.js`` does); assessors poll a live timeline about every 2 s, open a closed contact's review
every fifth poll and the cohort dashboard every tenth. Printed per run: p50/p95/p99 per request kind with
the target (p95 < 150 ms for desk, message, poll, review and dashboard requests), errors, events written
against the events the acknowledged actions must have written (lost events), and the load generator's own
CPU. Sign-in (a deliberately slow password hash, scrypt) is reported on its own line, not as a target.

PostgreSQL runs through ``scripts/with-postgres.sh`` (a throwaway server on loopback, durability off:
``fsync=off``, as for the tests), so the two runs are not equal on the disk: say so when quoting them.
``--quick``: 40 s of work, 200 customers and a fast password hash for the virtual users (about 2 minutes a
run); the full run: 120 s of work, 10,000 customers, scrypt for every sign-in (about 6 minutes a run).
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = "workspace,message,updates,timeline,review,dashboard"


def college_args(quick: bool) -> list[str]:
    args = [
        "--learners", "300",
        "--assessors", "30",
        "--workers", "4",
        "--think", "10",
        "--desk-poll", "1.5",
        "--assessor-poll", "2",
        "--dashboard-every", "10",
        "--observe-rate", "0.05",
        "--target-ms", "150",
        "--targets", TARGETS,
        "--no-throughput",
        "--queue", "3",  # at 10 s a step a contact takes ~2.5 minutes: nobody reaches a fourth
    ]  # fmt: skip
    if quick:
        return [*args, "--duration", "40", "--customers", "200", "--password-hash", "pbkdf2:sha256:1000"]
    return [*args, "--duration", "120", "--customers", "10000"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 s of work, a fast password hash")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    load = [sys.executable, str(ROOT / "bench" / "bench_load.py"), *college_args(args.quick)]
    status = 0
    if args.database in ("sqlite", "both"):
        print("=== SQLite (WAL), gunicorn 4 sync workers ===", flush=True)
        status |= subprocess.call(load, cwd=ROOT)
    if args.database in ("postgresql", "both"):
        print("\n=== PostgreSQL (throwaway, fsync off), gunicorn 4 sync workers ===", flush=True)
        script = 'BENCH_DATABASE_URL="$DATABASE_URL" exec "$@"'
        status |= subprocess.call(
            [str(ROOT / "scripts" / "with-postgres.sh"), "sh", "-c", script, "sh", *load, "--database-url", "env"],
            cwd=ROOT,
            env={**os.environ},
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
