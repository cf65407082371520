"""Desk benchmark: a poll's cost by the contact's length, and the desk page against a bare Flask endpoint.

Run: .venv/bin/python bench/bench_desk.py [--workers 2] [--clients 4] [--requests 2000] [--polls 300]

What it does, all in a temporary folder that is removed at the end:

1. **Polls by cursor.** Seeds a cohort, one learner with three contacts taken and padded to 10, 100 and
   1,000 events, and times ``--polls`` polls with nothing new (``/updates?after=<last seq>``, as the
   desk's script sends them every 1.5 s) on each, in process (Flask's test client, no network). Prints
   the median per poll and the ratio of 1,000 events to 10. Target: within 1.5x.
2. **The desk against a bare Flask endpoint.** Works a fourth contact up to a verified record, a
   conversation and a note (left live: the page a learner has open while working), then starts gunicorn
   (sync workers, 127.0.0.1, a free port) twice with the same settings: once serving a bare Flask app
   (one route returning "hello"), once serving the sandbox. ``--clients`` client processes send
   ``--requests`` GETs in all to each: the bare route, then the desk page, signed in as the learner.
   Prints requests per second and the ratio. Target: the desk >= 0.25 x the bare endpoint.

Exits 1 when a target is missed. Figures and method: docs/benchmarks.md.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_load  # noqa: E402  (after the path is set)
from bench.bench_load import HOST, Client, Stats, free_port, stop_gunicorn, throughput, wait_until_up  # noqa: E402

POLL_TARGET = 1.5
DESK_TARGET = 0.25
LENGTHS = (10, 100, 1000)
BARE_APP = '''"""A bare Flask app: the peer the desk is measured against (bench/bench_desk.py)."""
from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def hello():
    return "hello"
'''


def prepare(tmp: Path, args) -> dict:
    """Seed the world (bench_load's), pad three contacts and work a fourth; return their ids and last seqs."""
    world = bench_load.build_world(
        tmp,
        argparse.Namespace(
            customers=args.customers, learners=1, assessors=0, database_url=None, password_hash=None, queue=None
        ),
    )
    from crm_sandbox import create_app
    from crm_sandbox.database import write_transaction
    from crm_sandbox.events.append import append_event
    from crm_sandbox.extensions import db
    from crm_sandbox.models import Contact

    name, contacts = next(iter(world["learners"].items()))
    app = create_app({"WTF_CSRF_ENABLED": False}, instance_path=str(tmp / "instance"))
    client = app.test_client()
    client.post("/auth/login", data={"username": name, "password": bench_load.PASSWORD})
    padded = {}
    for length, c in zip(LENGTHS, contacts):
        cid = c["contact_id"]
        client.post(f"/learner/contacts/{cid}/open")
        with app.app_context():
            with write_transaction():
                contact = db.session.get(Contact, cid)
                for i in range(length - len(contact.events)):
                    append_event(contact, "message.sent", {"text": f"Still checking ({i})."}, actor="learner")
            padded[length] = (cid, db.session.get(Contact, cid).events[-1].seq)
    worked = contacts[len(LENGTHS)]
    cid = worked["contact_id"]
    client.post(f"/learner/contacts/{cid}/open")
    client.post(f"/learner/contacts/{cid}/search", data={"query": worked["last_name"]})
    client.post(f"/learner/contacts/{cid}/customers/{worked['customer_id']}/view")
    for factor, answer in (("date_of_birth", worked["dob"]), ("postcode", worked["postcode"])):
        client.post(
            f"/learner/contacts/{cid}/verify",
            data={"customer_id": worked["customer_id"], "factor": factor, "answer": answer},
        )
    client.post(f"/learner/contacts/{cid}/messages", data={"text": "Thank you, I can see the account now."})
    client.post(f"/learner/contacts/{cid}/notes", data={"text": "Verified; balance given."})
    page = client.get(f"/learner/contacts/{cid}").get_data(as_text=True)
    if "Recent transactions" not in page:
        raise RuntimeError("the worked contact did not reach a verified record")
    return {"app": app, "client": client, "learner": name, "padded": padded, "desk": cid}


def poll_costs(world: dict, polls: int) -> dict[int, float]:
    """Median ms per poll with nothing new, by the contact's length."""
    client, costs = world["client"], {}
    for length, (cid, last) in world["padded"].items():
        url = f"/learner/contacts/{cid}/updates?after={last}"
        for _ in range(20):
            client.get(url)  # warm up
        times = []
        for _ in range(polls):
            start = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            if resp.status_code != 200 or resp.get_json()["messages"]:
                raise RuntimeError(f"poll on {length} events: HTTP {resp.status_code}")
        costs[length] = statistics.median(times)
    return costs


def gunicorn(tmp: Path, port: int, workers: int, app: str, chdir: Path) -> subprocess.Popen:
    """gunicorn with the same settings for both apps (sync workers, loopback)."""
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "sync",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(chdir),
        "--error-logfile",
        str(tmp / "gunicorn.log"),
        "--log-level",
        "warning",
        app,
    ]
    env = {**bench_load.os.environ, "CRM_INSTANCE_PATH": str(tmp / "instance")}
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite'}"
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def served(tmp: Path, args, app: str, chdir: Path, path: str, learner: str | None) -> tuple[float, int]:
    """Requests per second (and failures) of ``path`` under gunicorn serving ``app``."""
    port = free_port()
    proc = gunicorn(tmp, port, args.workers, app, chdir)
    try:
        wait_until_up(port, proc)
        cookie = ""
        if learner:
            client = Client(port, Stats())
            if not client.sign_in(learner):
                raise RuntimeError(f"could not sign in: {client.stats.examples}")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        with ProcessPoolExecutor(args.clients, mp_context=get_context("spawn")) as pool:
            return throughput(pool, port, path, cookie, args.clients, args.requests)
    finally:
        stop_gunicorn(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--requests", type=int, default=2000, help="GETs per throughput run (default 2000)")
    parser.add_argument("--polls", type=int, default=300, help="polls timed per contact length (default 300)")
    parser.add_argument("--customers", type=int, default=2000, help="customers in the cohort (default 2000)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-desk-"))
    try:
        world = prepare(tmp, args)
        costs = poll_costs(world, args.polls)
        ratio = costs[LENGTHS[-1]] / costs[LENGTHS[0]]
        print("Poll with nothing new (in process, median per poll):")
        for length, ms in costs.items():
            print(f"  {length:>5} events on the contact: {ms:6.2f} ms")
        print(f"  1,000 / 10 events: {ratio:.2f}x (target <= {POLL_TARGET}x)")
        (tmp / "bare_flask.py").write_text(BARE_APP)
        bare, bare_bad = served(tmp, args, "bare_flask:app", tmp, "/healthz", None)
        desk, desk_bad = served(
            tmp, args, "crm_sandbox:create_app()", ROOT, f"/learner/contacts/{world['desk']}", world["learner"]
        )
        share = desk / bare
        print(f"Throughput under gunicorn ({args.workers} sync workers, {args.clients} clients, {args.requests} GETs):")
        print(f"  bare Flask endpoint: {bare:7.0f} req/s ({bare_bad} failed)")
        print(f"  learner desk (live, verified): {desk:7.0f} req/s ({desk_bad} failed)")
        print(f"  desk / bare: {share:.3f} (target >= {DESK_TARGET})")
        ok = ratio <= POLL_TARGET and share >= DESK_TARGET and not (bare_bad or desk_bad)
        print("targets met" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
