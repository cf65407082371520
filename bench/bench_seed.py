"""Seeding benchmark: Faker alone versus the full seed (generate + blind indexes + bulk insert).

Run: .venv/bin/python bench/bench_seed.py [CUSTOMERS] [REPEATS]   (default 10,000 customers, 3 repeats)
Target: the full seed takes at most 2x the time Faker needs for the same fields.

The two are timed one after the other, ``REPEATS`` times; the ratio is of the fastest of each (on a
shared machine, the run least disturbed by others), the medians' ratio printed beside it.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from faker import Faker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.seeding import seed_customers  # noqa: E402


def faker_only(count: int) -> float:
    """Faker generating the same personal fields, nothing else."""
    fake = Faker("en_GB")
    fake.seed_instance(1)
    start, cpu = time.perf_counter(), time.process_time()
    female = (fake.prefix_female, fake.first_name_female)
    male = (fake.prefix_male, fake.first_name_male)
    for n in range(count):
        prefix, first_name = female if n % 2 else male
        prefix(), first_name(), first_name(), fake.last_name()
        fake.street_address(), fake.city(), fake.postcode(), fake.date_of_birth(minimum_age=18, maximum_age=90)
    return time.perf_counter() - start, time.process_time() - cpu


def full_seed(count: int) -> tuple[float, float, int]:
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
            start, cpu = time.perf_counter(), time.process_time()
            with write_transaction():
                seed_customers(get_or_create_cohort("Bench"), 1, count)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            size = Path(tmp, "bench.sqlite").stat().st_size
    return elapsed, cpu, size


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    load = os.getloadavg()[0]
    fakers, seeds, faker_cpu, seed_cpu = [], [], [], []
    for _ in range(repeats):
        wall, cpu = faker_only(count)
        fakers.append(wall)
        faker_cpu.append(cpu)
        wall, cpu, size = full_seed(count)
        seeds.append(wall)
        seed_cpu.append(cpu)
    faker_s, seed_s = min(fakers), min(seeds)
    print(f"customers:             {count:,} ({repeats} runs each, alternately)")
    print(f"Faker alone:           {faker_s:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in fakers)})")
    print(f"full seed (SQLite):    {seed_s:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in seeds)}; ", end="")
    print(f"{count / seed_s:,.0f} customers/s, {size / 1e6:.1f} MB)")
    print(f"ratio to Faker alone:  {seed_s / faker_s:6.2f}x  (fastest of each; target <= 2.0x)")
    print(f"ratio of the medians:  {statistics.median(seeds) / statistics.median(fakers):6.2f}x")
    print(
        f"ratio of CPU times:    {min(seed_cpu) / min(faker_cpu):6.2f}x  (this process's CPU, fastest of each:", end=""
    )
    print(f" {min(faker_cpu):.2f} s against {min(seed_cpu):.2f} s; time waiting for a core or the disk left out)")
    print(f"load average before/after: {load:.2f} / {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
