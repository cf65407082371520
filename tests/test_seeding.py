"""Faker customers: deterministic, complete, and unable to reach a real person."""

import re

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Customer, PriorInteraction, Transaction
from crm_sandbox.models.customer import PERSONAL_FIELDS
from crm_sandbox.seeding import DRAMA_PHONE_PREFIXES, generate_customers


def test_same_seed_gives_identical_customers_field_for_field():
    first = list(generate_customers(42, 30))
    second = list(generate_customers(42, 30))
    assert first == second


def test_different_seeds_give_different_customers():
    a = [c for c, _, _ in generate_customers(1, 10)]
    b = [c for c, _, _ in generate_customers(2, 10)]
    assert [c["last_name"] for c in a] != [c["last_name"] for c in b]


def test_every_customer_has_every_field_and_3_to_20_transactions():
    for customer, transactions, interactions in generate_customers(5, 200):
        for field in PERSONAL_FIELDS:
            assert field in customer
        for field in (
            "first_name",
            "last_name",
            "date_of_birth",
            "address_line1",
            "town",
            "postcode",
            "email",
            "phone",
            "account_number",
            "sort_code",
            "memorable_word",
            "balance",
        ):
            assert customer[field], field
        assert 3 <= len(transactions) <= 20
        assert 1 <= len(interactions) <= 3


def test_contact_details_cannot_reach_a_real_person():
    for customer, _, _ in generate_customers(9, 500):
        assert customer["email"].rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
        assert any(
            customer["phone"].startswith(p) and len(customer["phone"]) == len(p) + 3 for p in DRAMA_PHONE_PREFIXES
        ), customer["phone"]
        assert re.fullmatch(r"99-\d\d-\d\d", customer["sort_code"])
        assert re.fullmatch(r"\d{8}", customer["account_number"])


def test_seed_command_stores_the_generated_customers(app, runner):
    result = runner.invoke(args=["seed", "--seed", "3", "--customers", "25", "--cohort", "Cohort A"])
    assert result.exit_code == 0, result.output
    assert "Seeded 25 customers" in result.output
    with app.app_context():
        stored = db.session.execute(select(Customer).order_by(Customer.id)).scalars().all()
        assert len(stored) == 25
        expected = [c for c, _, _ in generate_customers(3, 25)]
        assert [{f: getattr(s, f) for f in PERSONAL_FIELDS} for s in stored] == [
            {f: e[f] for f in PERSONAL_FIELDS} for e in expected
        ]
        assert db.session.execute(select(Transaction)).first() is not None
        assert db.session.execute(select(PriorInteraction)).first() is not None


def test_seeding_one_cohort_leaves_another_untouched(app, runner):
    runner.invoke(args=["seed", "--seed", "1", "--customers", "10", "--cohort", "Cohort A"])
    runner.invoke(args=["seed", "--seed", "2", "--customers", "10", "--cohort", "Cohort B"])
    with app.app_context():
        before = [
            (c.ref, c.last_name) for c in db.session.execute(select(Customer).where(Customer.cohort_id == 1)).scalars()
        ]
    runner.invoke(args=["seed", "--seed", "3", "--customers", "10", "--cohort", "Cohort B"])
    with app.app_context():
        after = [
            (c.ref, c.last_name) for c in db.session.execute(select(Customer).where(Customer.cohort_id == 1)).scalars()
        ]
    assert before == after and len(after) == 10


def test_seed_command_rejects_bad_counts(runner):
    result = runner.invoke(args=["seed", "--customers", "0"])
    assert result.exit_code != 0
    assert "0" in result.output
