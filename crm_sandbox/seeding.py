"""Deterministic Faker (en_GB) customers for a cohort's sandbox world.

The same seed gives identical customers, field for field. Nothing generated can reach a real person:
phone numbers come from Ofcom's drama ranges, email addresses from the reserved example domains.
"""

import hashlib
import random
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import and_, delete, func, select, text

from crm_sandbox import ledger
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Customer, PriorInteraction, Transaction
from crm_sandbox.models.customer import INDEXED_FIELDS, PERSONAL_FIELDS
from crm_sandbox.models.personal import blind_index, cipher, encrypt_json, index_key
from crm_sandbox.scenarios.library import PRODUCTS  # one list: the scenarios' profiles name them

# Ofcom's numbers reserved for drama: each prefix is followed by 000–999.
DRAMA_PHONE_PREFIXES = (
    "07700 900",
    "0113 496 0",
    "0114 496 0",
    "0115 496 0",
    "0116 496 0",
    "0117 496 0",
    "0118 496 0",
    "0121 496 0",
    "0131 496 0",
    "0141 496 0",
    "0151 496 0",
    "0161 496 0",
    "020 7946 0",
    "0191 498 0",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
MEMORABLE_WORDS = (
    "butterfly",
    "lighthouse",
    "marmalade",
    "sunflower",
    "cathedral",
    "pineapple",
    "blackbird",
    "waterfall",
    "strawberry",
    "snowdrop",
    "harbour",
    "meadow",
    "cricket",
    "lavender",
    "thunder",
    "kingfisher",
    "chestnut",
    "seashell",
    "rainbow",
    "woodland",
    "porridge",
    "teacup",
    "bluebell",
    "penguin",
    "carousel",
    "dandelion",
    "hedgehog",
    "moonlight",
    "orchard",
    "pebble",
)
MERCHANTS = (
    ("Tesco Stores", -1),
    ("Sainsbury's", -1),
    ("Transport for London", -1),
    ("Greggs", -1),
    ("Council Tax DD", -1),
    ("Energy supplier DD", -1),
    ("Mobile phone DD", -1),
    ("Amazon UK", -1),
    ("Boots", -1),
    ("Costa Coffee", -1),
    ("Cash machine withdrawal", -1),
    ("Netflix", -1),
    ("Salary", 1),
    ("Transfer in", 1),
    ("Refund - online order", 1),
    ("Interest", 1),
)
INTERACTION_SUMMARIES = (
    "Customer asked how to set up a standing order; talked them through online banking.",
    "Customer called about a direct debit they did not recognise; explained the merchant name.",
    "Customer requested a replacement debit card (worn chip); card ordered.",
    "Customer asked about overdraft charges; sent the tariff leaflet by email.",
    "Customer enquired about savings rates; no change made.",
    "Customer updated their contact preferences to email only.",
    "Customer reported a lost card; card cancelled and replacement ordered.",
    "Customer asked for a copy of last year's statements; posted.",
)
EMAIL_CLEAN = re.compile(r"[^a-z0-9.]")
EPOCH = date(2026, 11, 1)  # transactions and history are dated relative to this, for determinism


# One generated customer: its fields, its transactions (posted on, description, pence) and its prior
# interactions (at, channel, summary).
Generated = tuple[dict[str, str], list[tuple[str, str, int]], list[tuple[datetime, str, str]]]


def generate_customers(seed: int, count: int) -> Iterator[Generated]:
    """Yield ``(customer, transactions, interactions)``, deterministic for ``seed``.

    A transaction is ``(posted_on ISO date, description, amount in pence)``.
    """
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    # Bound once: Faker's proxy look-up on every call costs more than the call itself here.
    last_name, street_address = fake.last_name, fake.street_address
    date_of_birth, city, postcode = fake.date_of_birth, fake.city, fake.postcode
    # A title that goes with the first names: "Mrs Sandra", never "Mr Sandra".
    female = (fake.prefix_female, fake.first_name_female)
    male = (fake.prefix_male, fake.first_name_male)
    rng = random.Random(seed)  # noqa: S311 (reproducible fake customers, not a secret)
    rand, choice, bits = rng.random, rng.choice, rng.getrandbits
    days = [(EPOCH - timedelta(days=d)).isoformat() for d in range(720)]
    for n in range(1, count + 1):
        prefix, first_name = female if rand() < 0.5 else male
        first, middle, last = first_name(), first_name(), last_name()
        street = street_address().split("\n")
        line1, line2 = (street[-1], street[0]) if len(street) > 1 else (street[0], "")
        customer = {
            "ref": f"cust-{n:05d}",
            "product": choice(PRODUCTS),
            "title": prefix(),
            "first_name": first,
            "middle_name": middle if rand() < 0.6 else "",
            "last_name": last,
            "date_of_birth": date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
            "address_line1": line1,
            "address_line2": line2,
            "town": city(),
            "postcode": postcode(),
            "email": EMAIL_CLEAN.sub("", f"{first}.{last}{int(rand() * 100)}".lower()) + "@" + choice(EMAIL_DOMAINS),
            "phone": f"{choice(DRAMA_PHONE_PREFIXES)}{int(rand() * 1000):03d}",
            "account_number": str(10_000_000 + int(rand() * 90_000_000)),
            "sort_code": f"99-{int(rand() * 100):02d}-{int(rand() * 100):02d}",  # a fictional bank
            "memorable_word": choice(MEMORABLE_WORDS),
            "balance": f"{(int(rand() * 550_000) - 50_000) / 100:.2f}",
        }
        transactions = []
        for _ in range(3 + int(rand() * 18)):
            r = bits(48)  # one draw gives the merchant, the day and the amount
            merchant, sign = MERCHANTS[r % len(MERCHANTS)]
            transactions.append((days[(r >> 8) % 90], merchant, sign * (100 + (r >> 16) % 250_000)))
        interactions = [
            (
                datetime.combine(
                    EPOCH - timedelta(days=30 + int(rand() * 690)), time(9 + int(rand() * 9), int(rand() * 60))
                ),  # naive UTC, as stored
                choice(("phone", "chat", "email")),
                choice(INTERACTION_SUMMARIES),
            )
            for _ in range(1 + int(rand() * 3))
        ]
        yield customer, transactions, interactions


# --- A learner's private world: customers generated per contact, to fit the scenario's customer profile ---
DEFAULT_AGE = (18, 90)
STUDENT_PRODUCT = "Student Current Account"
STUDENT_MAX_AGE = 25  # older customers are never given a student account unless the profile says so
_local = threading.local()  # one Faker per thread (built once: building one costs far more than a customer)


def _faker() -> Faker:
    fake = getattr(_local, "fake", None)
    if fake is None:
        fake = _local.fake = Faker("en_GB")
    return fake


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(born: date, today: date) -> int:
    """Age in whole years on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def birth_date(rng: random.Random, band: tuple[int, int], today: date) -> date:
    """A date of birth giving an age inside ``band`` (inclusive) on ``today``, and still inside it a year
    later whenever the band is wider than one year (a contact may wait in a queue for a while)."""
    lo, hi = band
    age = rng.randint(lo, max(lo, hi - 1))
    latest = years_before(today, age)  # the birthday is today
    earliest = years_before(today, age + 1) + timedelta(days=1)  # the birthday is tomorrow
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def age_band(profile: dict | None) -> tuple[int, int]:
    """The ``age: [min, max]`` of a scenario's customer profile (any adult age when there is none)."""
    age = (profile or {}).get("age")
    return (int(age[0]), int(age[1])) if age else DEFAULT_AGE


def key_seed(key: str) -> int:
    """A 64-bit seed from a text key: stable across runs and machines (``hash()`` is not)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def profiled_customer(key: str, profile: dict | None, today: date, like: dict | None = None) -> Generated:
    """One customer for a contact, deterministic for ``key`` and ``today``, fitting ``profile`` (a
    scenario's ``customer`` mapping): a date of birth inside its age band, its product and balance
    range, and its transactions (``{description, amount, days_ago}``) among the usual ones.

    ``like``: a namesake of that customer instead: the same title, first and last name, everything
    else its own (another person whose record a careless search could open). The returned customer has
    no ``ref`` yet: it is made from the row's id when stored.
    """
    profile = profile or {}
    seed = key_seed(key)
    fake = _faker()
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 (reproducible fake customers, not a secret)
    rand, choice, bits = rng.random, rng.choice, rng.getrandbits
    if like is None:
        prefix, first_name = (
            (fake.prefix_female, fake.first_name_female) if rand() < 0.5 else (fake.prefix_male, fake.first_name_male)
        )
        title, first, last = prefix(), first_name(), fake.last_name()
        middle = (fake.first_name_female if title in ("Mrs", "Ms", "Miss") else fake.first_name_male)()
    else:
        title, first, last, middle = like["title"], like["first_name"], like["last_name"], ""
    born = birth_date(rng, age_band(profile), today)
    street = fake.street_address().split("\n")
    line1, line2 = (street[-1], street[0]) if len(street) > 1 else (street[0], "")
    if like is None and profile.get("product"):
        product = profile["product"]
    else:
        young = age_on(born, today) <= STUDENT_MAX_AGE
        product = choice([p for p in PRODUCTS if young or p != STUDENT_PRODUCT])
    balance_range = profile.get("balance") if like is None else None
    low, high = (float(balance_range[0]), float(balance_range[1])) if balance_range else (-500.0, 5000.0)
    customer = {
        "product": product,
        "title": title,
        "first_name": first,
        "middle_name": middle if like is None and rand() < 0.6 else "",
        "last_name": last,
        "date_of_birth": born.isoformat(),
        "address_line1": line1,
        "address_line2": line2,
        "town": fake.city(),
        "postcode": fake.postcode(),
        "email": EMAIL_CLEAN.sub("", f"{first}.{last}{int(rand() * 100)}".lower()) + "@" + choice(EMAIL_DOMAINS),
        "phone": f"{choice(DRAMA_PHONE_PREFIXES)}{int(rand() * 1000):03d}",
        "account_number": str(10_000_000 + int(rand() * 90_000_000)),
        "sort_code": f"99-{int(rand() * 100):02d}-{int(rand() * 100):02d}",
        "memorable_word": choice(MEMORABLE_WORDS),
        "balance": f"{low + rand() * (high - low):.2f}",
    }
    # Few everyday transactions, so the scenario's own (a fee taken twice, an unknown payment) stay among
    # the ten the desk lists.
    transactions = []
    for _ in range(3 + int(rand() * 5)):
        r = bits(48)
        merchant, sign = MERCHANTS[r % len(MERCHANTS)]
        posted = today - timedelta(days=7 + (r >> 8) % 83)
        transactions.append((posted.isoformat(), merchant, sign * (100 + (r >> 16) % 150_000)))
    for t in profile.get("transactions", []) if like is None else []:
        posted = today - timedelta(days=int(t["days_ago"]))
        transactions.append((posted.isoformat(), str(t["description"]), round(float(t["amount"]) * 100)))
    interactions = [
        (
            datetime.combine(
                today - timedelta(days=60 + int(rand() * 660)), time(9 + int(rand() * 9), int(rand() * 60))
            ),
            choice(("phone", "chat", "email")),
            choice(INTERACTION_SUMMARIES),
        )
        for _ in range(1 + int(rand() * 3))
    ]
    return customer, transactions, interactions


def owned_ref(customer_id: int) -> str:
    """A private customer's reference: from its row id, with a letter the background's never have
    (``cust-00042``), so the two can never collide."""
    return f"cust-p{customer_id:05d}"


def store_owned_customers(cohort_id: int, learner_id: int, generated: list[Generated]) -> list[int]:
    """Insert customers of ``learner_id``'s private world (bulk, in the caller's transaction); their ids."""
    key, fernet = index_key(), cipher()
    ids = list(customer_ids(len(generated)))
    customers: list[tuple[Any, ...]] = []
    transactions: list[tuple[Any, ...]] = []
    interactions: list[tuple[Any, ...]] = []
    for new_id, (customer, txns, notes) in zip(ids, generated):
        customers.append(
            (
                new_id,
                cohort_id,
                learner_id,
                owned_ref(new_id),
                customer["product"],
                encrypt_json({f: customer[f] for f in PERSONAL_FIELDS}, fernet),
                *(blind_index(customer[field], key) for field in INDEXED_FIELDS),
            )
        )
        transactions.extend((new_id, *t) for t in txns)
        interactions.extend((new_id, *i) for i in notes)
    insert_rows("customer", OWNED_COLUMNS, customers)
    ledger.record_rows(Customer, Customer.id.in_(ids))  # a Core insert: no flush hook
    insert_rows("account_transaction", ("customer_id", "posted_on", "description", "amount_pence"), transactions)
    insert_rows("prior_interaction", ("customer_id", "at", "channel", "summary"), interactions)
    return ids


CUSTOMER_COLUMNS = ("id", "cohort_id", "ref", "product", "personal", *(f"{f}_index" for f in INDEXED_FIELDS))
OWNED_COLUMNS = ("id", "cohort_id", "learner_id", "ref", "product", "personal", *(f"{f}_index" for f in INDEXED_FIELDS))


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows with the driver's executemany, skipping SQLAlchemy's per-row processing.

    Only for rows already in their stored form (customers' personal data encrypted before, with
    ``encrypt_json``; transactions and earlier interactions hold none): ~145,000 rows for 10,000
    customers, the largest cost of seeding. ``table`` and ``columns`` are constants.
    """
    conn = db.session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})",  # noqa: S608
        rows,
    )  # S608: the statement is built from constants and placeholders only; values are bound


def customer_ids(count: int) -> Iterator[int]:
    """``count`` new customer ids, ascending (rows are inserted with explicit ids so that their
    transactions can name them in the same executemany).

    SQLite: after the largest id (the write transaction holds the database lock). PostgreSQL: taken
    from the id sequence, so the sequence stays ahead of the table and concurrent seeds of two
    cohorts (row locks only) cannot pick the same ids.
    """
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        return iter(
            sorted(
                conn.execute(
                    text("SELECT nextval(pg_get_serial_sequence('customer', 'id')) FROM generate_series(1, :n)"),
                    {"n": count},
                ).scalars()
            )
        )
    start = (db.session.execute(select(func.max(Customer.id))).scalar() or 0) + 1
    return iter(range(start, start + count))


def seed_customers(
    cohort: Cohort, seed: int, count: int, progress: Callable[[int], None] | None = None, batch: int = 1000
) -> int:
    """Replace ``cohort``'s shared background customers with ``count`` generated from ``seed``; return how many.

    The learners' private customers (made with their contacts) are left alone: the reset removes them
    with the learners. Runs inside the caller's transaction. ``progress(n)`` is called after every
    ``n`` customers.
    """
    key, fernet = index_key(), cipher()
    indexed: dict[str, str] = {}  # blind indexes already computed: surnames and phone numbers repeat

    def index_of(value: str) -> str:
        found = indexed.get(value)
        if found is None:
            found = indexed[value] = blind_index(value, key)
        return found

    background = (Customer.cohort_id == cohort.id, Customer.learner_id.is_(None))
    ids = select(Customer.id).where(*background)
    ledger.record_gone(Customer, and_(*background), ledger.ARCHIVED)  # the log says replaced, not tampered
    db.session.execute(delete(Transaction).where(Transaction.customer_id.in_(ids)))
    db.session.execute(delete(PriorInteraction).where(PriorInteraction.customer_id.in_(ids)))
    db.session.execute(delete(Customer).where(*background))
    new_ids = customer_ids(count)
    customers: list[tuple[Any, ...]] = []
    contents: list[dict[str, Any]] = []  # what the ledger covers of each customer inserted
    transactions: list[tuple[Any, ...]] = []
    interactions: list[tuple[Any, ...]] = []

    def flush() -> None:
        if customers:
            # Core inserts (executemany): several times faster than ORM bulk inserts here.
            insert_rows("customer", CUSTOMER_COLUMNS, customers)
            ledger.record_written(Customer, contents)  # a Core insert: no flush hook; leaves from what was inserted
            insert_rows(
                "account_transaction", ("customer_id", "posted_on", "description", "amount_pence"), transactions
            )
            insert_rows("prior_interaction", ("customer_id", "at", "channel", "summary"), interactions)
            if progress:
                progress(len(customers))
        customers.clear()
        contents.clear()
        transactions.clear()
        interactions.clear()

    for customer, txns, notes in generate_customers(seed, count):
        next_id = next(new_ids)
        personal = {f: customer[f] for f in PERSONAL_FIELDS}
        customers.append(
            (
                next_id,
                cohort.id,
                customer["ref"],
                customer["product"],
                encrypt_json(personal, fernet),
                *[index_of(customer[field]) for field in INDEXED_FIELDS],
            )
        )
        contents.append(
            {
                "id": next_id,
                "cohort_id": cohort.id,
                "learner_id": None,
                "ref": customer["ref"],
                "product": customer["product"],
                "personal": personal,
            }
        )
        transactions.extend((next_id, *t) for t in txns)
        interactions.extend((next_id, *i) for i in notes)
        if len(customers) >= batch:
            flush()
    flush()
    cohort.seed = seed
    return count
