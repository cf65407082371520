"""Deterministic Faker (en_GB) customers for a cohort's sandbox world.

The same seed gives identical customers, field for field. Nothing generated can reach a real person:
phone numbers come from Ofcom's drama ranges, email addresses from the reserved example domains.
"""
import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from faker import Faker
from sqlalchemy import delete, func, insert, select

from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Customer, PriorInteraction, Transaction
from crm_sandbox.models.customer import INDEXED_FIELDS
from crm_sandbox.models.personal import blind_index, index_key

# Ofcom's numbers reserved for drama: each prefix is followed by 000–999.
DRAMA_PHONE_PREFIXES = (
    "07700 900", "0113 496 0", "0114 496 0", "0115 496 0", "0116 496 0", "0117 496 0",
    "0118 496 0", "0121 496 0", "0131 496 0", "0141 496 0", "0151 496 0", "0161 496 0",
    "020 7946 0", "0191 498 0",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
PRODUCTS = (
    "Everyday Current Account", "Premier Current Account", "Basic Bank Account",
    "Instant Access Saver", "Reward Credit Card", "Student Current Account",
)
MEMORABLE_WORDS = (
    "butterfly", "lighthouse", "marmalade", "sunflower", "cathedral", "pineapple", "blackbird",
    "waterfall", "strawberry", "snowdrop", "harbour", "meadow", "cricket", "lavender", "thunder",
    "kingfisher", "chestnut", "seashell", "rainbow", "woodland", "porridge", "teacup", "bluebell",
    "penguin", "carousel", "dandelion", "hedgehog", "moonlight", "orchard", "pebble",
)
MERCHANTS = (
    ("Tesco Stores", -1), ("Sainsbury's", -1), ("Transport for London", -1), ("Greggs", -1),
    ("Council Tax DD", -1), ("Energy supplier DD", -1), ("Mobile phone DD", -1), ("Amazon UK", -1),
    ("Boots", -1), ("Costa Coffee", -1), ("Cash machine withdrawal", -1), ("Netflix", -1),
    ("Salary", 1), ("Transfer in", 1), ("Refund - online order", 1), ("Interest", 1),
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
EPOCH = date(2026, 11, 1)  # transactions and history are dated relative to this, for determinism


def drama_phone(rng: random.Random) -> str:
    prefix = rng.choice(DRAMA_PHONE_PREFIXES)
    tail = f"{rng.randrange(1000):03d}"
    return prefix + tail


def generate_customers(seed: int, count: int) -> Iterator[tuple[dict, list[dict], list[dict]]]:
    """Yield ``(customer, transactions, interactions)`` rows, deterministic for ``seed``."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    for n in range(1, count + 1):
        first, middle, last = fake.first_name(), fake.first_name(), fake.last_name()
        street = fake.street_address().split("\n")
        line1, line2 = (street[-1], street[0]) if len(street) > 1 else (street[0], "")
        dob = fake.date_of_birth(minimum_age=18, maximum_age=90)
        customer = {
            "ref": f"cust-{n:05d}",
            "product": rng.choice(PRODUCTS),
            "title": fake.prefix(),
            "first_name": first,
            "middle_name": middle if rng.random() < 0.6 else "",
            "last_name": last,
            "date_of_birth": dob.isoformat(),
            "address_line1": line1,
            "address_line2": line2,
            "town": fake.city(),
            "postcode": fake.postcode(),
            "email": f"{first}.{last}{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}".lower().replace(" ", "").replace("'", ""),
            "phone": drama_phone(rng),
            "account_number": f"{rng.randrange(10**7, 10**8)}",
            "sort_code": f"99-{rng.randrange(100):02d}-{rng.randrange(100):02d}",  # fictional bank
            "memorable_word": rng.choice(MEMORABLE_WORDS),
            "balance": f"{Decimal(rng.randrange(-50000, 500000)) / 100:.2f}",
        }
        transactions = []
        for _ in range(rng.randint(3, 20)):
            merchant, sign = rng.choice(MERCHANTS)
            transactions.append({
                "posted_on": EPOCH - timedelta(days=rng.randrange(90)),
                "description": merchant,
                "amount": Decimal(sign * rng.randrange(100, 250000)) / 100,
            })
        interactions = []
        for _ in range(rng.randint(1, 3)):
            day = EPOCH - timedelta(days=rng.randrange(30, 720))
            interactions.append({
                "at": datetime.combine(day, time(9 + rng.randrange(9), rng.randrange(60)), timezone.utc),
                "channel": rng.choice(("phone", "chat", "email")),
                "summary": rng.choice(INTERACTION_SUMMARIES),
            })
        yield customer, transactions, interactions


def seed_customers(cohort: Cohort, seed: int, count: int,
                   progress: Callable[[int], None] | None = None, batch: int = 1000) -> int:
    """Replace ``cohort``'s customers with ``count`` generated from ``seed``; return how many.

    Runs inside the caller's transaction. ``progress(n)`` is called after every ``n`` customers.
    """
    key = index_key()
    ids = select(Customer.id).where(Customer.cohort_id == cohort.id)
    db.session.execute(delete(Transaction).where(Transaction.customer_id.in_(ids)))
    db.session.execute(delete(PriorInteraction).where(PriorInteraction.customer_id.in_(ids)))
    db.session.execute(delete(Customer).where(Customer.cohort_id == cohort.id))
    next_id = (db.session.execute(select(func.max(Customer.id))).scalar() or 0) + 1
    customers, transactions, interactions = [], [], []

    def flush() -> None:
        if customers:
            db.session.execute(insert(Customer), customers)
            db.session.execute(insert(Transaction), transactions)
            db.session.execute(insert(PriorInteraction), interactions)
            if progress:
                progress(len(customers))
        customers.clear(), transactions.clear(), interactions.clear()

    for customer, txns, notes in generate_customers(seed, count):
        customer["id"], customer["cohort_id"] = next_id, cohort.id
        for field in INDEXED_FIELDS:
            customer[f"{field}_index"] = blind_index(customer[field], key)
        customers.append(customer)
        transactions.extend({**t, "customer_id": next_id} for t in txns)
        interactions.extend({**i, "customer_id": next_id} for i in notes)
        next_id += 1
        if len(customers) >= batch:
            flush()
    flush()
    cohort.seed = seed
    return count
