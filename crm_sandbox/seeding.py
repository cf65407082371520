"""Deterministic Faker (en_GB) customers for a cohort's sandbox world.

The same seed gives identical customers, field for field. Nothing generated can reach a real person:
phone numbers come from Ofcom's drama ranges, email addresses from the reserved example domains.
"""

import random
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import delete, func, select, text

from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Customer, PriorInteraction, Transaction
from crm_sandbox.models.customer import INDEXED_FIELDS, PERSONAL_FIELDS
from crm_sandbox.models.personal import blind_index, cipher, encrypt_json, index_key

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
PRODUCTS = (
    "Everyday Current Account",
    "Premier Current Account",
    "Basic Bank Account",
    "Instant Access Saver",
    "Reward Credit Card",
    "Student Current Account",
)
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


CUSTOMER_COLUMNS = ("id", "cohort_id", "ref", "product", "personal", *(f"{f}_index" for f in INDEXED_FIELDS))


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
    """Replace ``cohort``'s customers with ``count`` generated from ``seed``; return how many.

    Runs inside the caller's transaction. ``progress(n)`` is called after every ``n`` customers.
    """
    key, fernet = index_key(), cipher()
    ids = select(Customer.id).where(Customer.cohort_id == cohort.id)
    db.session.execute(delete(Transaction).where(Transaction.customer_id.in_(ids)))
    db.session.execute(delete(PriorInteraction).where(PriorInteraction.customer_id.in_(ids)))
    db.session.execute(delete(Customer).where(Customer.cohort_id == cohort.id))
    new_ids = customer_ids(count)
    customers: list[tuple[Any, ...]] = []
    transactions: list[tuple[Any, ...]] = []
    interactions: list[tuple[Any, ...]] = []

    def flush() -> None:
        if customers:
            # Core inserts (executemany): several times faster than ORM bulk inserts here.
            insert_rows("customer", CUSTOMER_COLUMNS, customers)
            insert_rows(
                "account_transaction", ("customer_id", "posted_on", "description", "amount_pence"), transactions
            )
            insert_rows("prior_interaction", ("customer_id", "at", "channel", "summary"), interactions)
            if progress:
                progress(len(customers))
        customers.clear()
        transactions.clear()
        interactions.clear()

    for customer, txns, notes in generate_customers(seed, count):
        next_id = next(new_ids)
        customers.append(
            (
                next_id,
                cohort.id,
                customer["ref"],
                customer["product"],
                encrypt_json({f: customer[f] for f in PERSONAL_FIELDS}, fernet),
                *(blind_index(customer[field], key) for field in INDEXED_FIELDS),
            )
        )
        transactions.extend((next_id, *t) for t in txns)
        interactions.extend((next_id, *i) for i in notes)
        if len(customers) >= batch:
            flush()
    flush()
    cohort.seed = seed
    return count
