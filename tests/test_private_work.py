"""Private work (issue 14, items 4 and 5): every contact is played against a customer of its own that
fits the scenario's brief, no two learners ever share a customer, a learner's search finds only their
own world, and nothing one learner does shows up in, or changes, what another learner sees.
"""

import re
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Customer, Event, Transaction, User
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.operations.cohorts.assignments import assign
from crm_sandbox.operations.cohorts.queues import build_queue
from crm_sandbox.operations.desk.lifecycle import close_contact, open_contact
from crm_sandbox.operations.desk.notes import add_note
from crm_sandbox.queries.customers import search
from crm_sandbox.scenarios import load_library
from crm_sandbox.seeding import age_on
from tests.conftest import PASSWORD
from tests.helpers import customer_of, page, post, signed_in, verify

LEARNERS = 30


def all_scenarios(app) -> list[dict]:
    return [f.scenario for f in load_library(app.config["SEED_DIR"]) if f.valid]


def test_every_scenario_is_played_against_a_customer_its_brief_describes(app, make_user):
    """The customer's age on the day the contact is made is inside the scenario's band; product,
    balance and the transactions the brief talks about are on the record."""
    scenarios = all_scenarios(app)
    assert (
        len(scenarios) == 19
    )  # 13, and issue 22: referred, bereavement, abusive, outbound, digital help, social media
    learner = make_user("learner1", queue=[s["id"] for s in scenarios])
    with app.app_context():
        contacts = db.session.execute(select(Contact).where(Contact.learner_id == learner)).scalars().all()
        assert {c.scenario_id for c in contacts} == {s["id"] for s in scenarios}
        for contact in contacts:
            profile, customer = contact.scenario["customer"], contact.customer
            lo, hi = profile["age"]
            age = age_on(date.fromisoformat(customer.date_of_birth), contact.created_at.date())
            assert lo <= age <= hi, (contact.scenario_id, customer.date_of_birth, age)
            assert customer.learner_id == learner
            if "product" in profile:
                assert customer.product == profile["product"], contact.scenario_id
            elif age > 25:
                assert customer.product != "Student Current Account", contact.scenario_id
            if "balance" in profile:
                assert float(profile["balance"][0]) <= float(customer.balance) <= float(profile["balance"][1])
            listed = [(t.description, t.amount_pence) for t in customer.transactions[:10]]  # as the desk lists
            for t in profile.get("transactions", []):
                assert (t["description"], round(float(t["amount"]) * 100)) in listed, contact.scenario_id


def test_the_same_seed_generates_the_same_customers(app, make_user):
    scenarios = ["balance-enquiry", "impostor-takeover"]

    def world() -> list[tuple]:
        rows = db.session.execute(select(Customer).where(Customer.learner_id.is_not(None)).order_by(Customer.id))
        return [(c.first_name, c.last_name, c.date_of_birth, c.postcode, c.balance) for c in rows.scalars()]

    make_user("learner1", queue=scenarios)
    with app.app_context():
        first = world()
        with write_transaction():
            for c in db.session.execute(select(Customer).where(Customer.learner_id.is_not(None))).scalars():
                c.learner_id = None  # set aside, as another cohort's would be
            db.session.execute(Contact.__table__.delete())
            build_queue(db.session.execute(select(User).where(User.username == "learner1")).scalar_one(), scenarios)
        assert world() == first and len(first) == 3  # the impostor's customer has a namesake


def test_a_namesake_is_in_the_learners_own_world(app, make_user):
    learner = make_user("learner1", queue=["impostor-takeover"])
    with app.app_context():
        contact = db.session.execute(select(Contact).where(Contact.learner_id == learner)).scalar_one()
        hits = search(contact.cohort_id, contact.customer.last_name, learner_id=learner)
        same_name = [h for h in hits if h.name.split()[1:] == [contact.customer.first_name, contact.customer.last_name]]
        assert len(same_name) == 2 and contact.customer_id in [h.id for h in same_name]
        owners = {db.session.get(Customer, h.id).learner_id for h in hits}
        assert owners == {learner}


@pytest.fixture
def crowd(app, cohort):
    """30 learners, each with every scenario queued, plus one added later and given every scenario by
    assignment. Returns {username: user id} and how long queueing took."""
    ids = [s["id"] for s in all_scenarios(app)]
    with app.app_context(), write_transaction():
        c = db.session.get(Cohort, cohort)
        users = [create_user(f"learner{n:02d}", PASSWORD, "learner", cohort=c) for n in range(1, LEARNERS + 1)]
        create_user("assessor1", PASSWORD, "assessor", cohort=c)
        db.session.flush()
        start = time.perf_counter()
        for user in users:
            build_queue(user)
        took = time.perf_counter() - start
        learners = {u.username: u.id for u in users}
    with app.app_context(), write_transaction():
        late = create_user("latecomer", PASSWORD, "learner", cohort=db.session.get(Cohort, cohort))
        db.session.flush()
        learners["latecomer"] = late.id
    with app.app_context():
        assign(cohort, ids, learner_id=learners["latecomer"])
    return learners, took


def test_thirty_learners_never_share_a_customer_or_find_each_others(app, cohort, crowd):
    learners, took = crowd
    assert took < 20, f"queueing 30 x 19 contacts took {took:.1f}s"  # generous: seconds, not minutes
    with app.app_context():
        contacts = db.session.execute(select(Contact.learner_id, Contact.customer_id)).all()
        assert len(contacts) == (LEARNERS + 1) * 19
        used_by: dict[int, set[int]] = {}
        for learner_id, customer_id in contacts:
            used_by.setdefault(customer_id, set()).add(learner_id)
        assert all(len(who) == 1 for who in used_by.values()), "a customer is shared between learners"
        assert len(used_by) == len(contacts)  # one customer per contact
        owner = {cid: lid for cid, lid in db.session.execute(select(Customer.id, Customer.learner_id))}
        assert all(owner[c] == next(iter(who)) for c, who in used_by.items())  # each owned by its learner
        counted = select(Customer.learner_id, func.count(Customer.id)).group_by(Customer.learner_id)
        per_learner = {lid: n for lid, n in db.session.execute(counted)}
        assert per_learner[learners["latecomer"]] == per_learner[learners["learner01"]] > 13  # namesakes too

        # Whatever a learner types (another learner's customer's surname, postcode, email, account
        # number), the search lists only their own world.
        a, b = learners["learner01"], learners["learner02"]
        b_customers = db.session.execute(select(Customer).where(Customer.learner_id == b)).scalars().all()
        for other in b_customers:
            for query in (other.last_name, other.postcode, other.email, other.account_number, other.phone):
                for hit in search(cohort, query, learner_id=a):
                    assert owner[hit.id] == a, (query, hit)
        late = learners["latecomer"]
        for other in b_customers[:5]:
            assert all(owner[h.id] == late for h in search(cohort, other.last_name, learner_id=late))


def without_tokens(html: str) -> str:
    """A page with its one-time form tokens blanked (they differ on every render)."""
    html = re.sub(r'name="(form_token|csrf_token)" value="[^"]*"', r'name="\1"', html)
    return re.sub(r'value="[\w-]{20,}\.[\w-]+\.[\w-]+"', 'value=""', html)


def desk_html(client, contact_id: int) -> str:
    return without_tokens(page(client, contact_id))


def test_one_learners_work_never_shows_in_or_changes_anothers(app, client, cohort, crowd, contact_of):
    learners, _ = crowd
    a, b = learners["learner01"], learners["learner02"]
    a_contact, b_contact = contact_of(a, "change-of-address"), contact_of(b, "change-of-address")
    a_customer = customer_of(app, a_contact)

    with signed_in(app, "learner02") as b_client:
        b_record = verify(b_client, app, b_contact)
        desk_html(b_client, b_contact)  # shows (and so clears) the messages of verifying
        before = desk_html(b_client, b_contact)
        before_queue = without_tokens(b_client.get("/learner/").get_data(as_text=True))
    assert b_record["email"] in before  # B's record is open, verified

    with signed_in(app, "learner01") as a_client:
        verify(a_client, app, a_contact)
        # A cannot open B's customer even by its id, and searching B's details lists none of B's records.
        post(a_client, a_contact, f"customers/{b_record['id']}/view")
        with app.app_context():
            viewed = db.session.execute(
                select(Event).where(Event.contact_id == a_contact, Event.type == "customer.viewed")
            ).scalars()
            assert b_record["id"] not in [e.data["customer_id"] for e in viewed]
        post(a_client, a_contact, "search", query=b_record["email"])
        assert "No customer matches" in desk_html(a_client, a_contact)  # B's email: none of A's records
        assert (
            post(a_client, a_contact, "details", field="email", value="moved.house.991@example.org").status_code < 400
        )
        post(a_client, a_contact, "details", field="address_line1", value="14 Quillfeather Lane")
        post(a_client, a_contact, "notes", text="Address and email updated after ID&V: A's private note.")
        assert "moved.house.991@example.org" in desk_html(a_client, a_contact)

    with app.app_context():
        assert db.session.get(Customer, a_customer["id"]).email == "moved.house.991@example.org"
        assert db.session.get(Customer, b_record["id"]).email == b_record["email"]
    with signed_in(app, "learner02") as b_client:
        after = desk_html(b_client, b_contact)
        assert after == before
        assert without_tokens(b_client.get("/learner/").get_data(as_text=True)) == before_queue
        assert "A's private note" not in after and "moved.house.991" not in after


def test_history_shows_only_the_learners_own_closed_contacts(app, cohort, make_user):
    """Even where two learners' contacts name the same customer (contacts made before worlds were
    private), one learner's notes and contact numbers never appear in the other's History; their own
    closed contacts' notes do, beside the record's seeded earlier interactions."""
    a = make_user("learner1", queue=["balance-enquiry", "missing-refund"])
    make_user("learner2", queue=["balance-enquiry"])
    with app.app_context(), write_transaction():
        shared = db.session.execute(
            select(Customer).where(Customer.cohort_id == cohort, Customer.learner_id.is_(None)).limit(1)
        ).scalar_one()
        contacts = db.session.execute(select(Contact).order_by(Contact.id)).scalars().all()
        for c in contacts:
            c.customer_id = shared.id  # as an older release picked customers: shared by both learners
        a_first, a_second, b_only = (c.id for c in contacts)
        learner_a = db.session.get(User, a)
        first = db.session.get(Contact, a_first)
        open_contact(first, learner_a)
        add_note(first, learner_a, "Learner A's note on the first contact.", None)
        close_contact(first, learner_a, "information-given", "yes")
        seeded = [i.summary for i in shared.interactions]
    assert seeded

    with signed_in(app, "learner2") as b_client:
        verify(b_client, app, b_only)
        html = page(b_client, b_only)
        assert "Learner A&#39;s note" not in html and "Learner A's note" not in html
        assert f"sandbox contact #{a_first}" not in html
        assert seeded[0].replace("'", "&#39;") in html
    with signed_in(app, "learner1") as a_client:
        verify(a_client, app, a_second)
        html = page(a_client, a_second)
        assert "Learner A&#39;s note on the first contact." in html and f"sandbox contact #{a_first}" in html


def test_transactions_of_a_private_customer_are_its_own(app, make_user):
    """Customers are generated per contact: two learners' balance enquiries never share a transaction row."""
    a = make_user("learner1", queue=["balance-enquiry"])
    b = make_user("learner2", queue=["balance-enquiry"])
    with app.app_context():
        owners = db.session.execute(
            select(Customer.learner_id).join(Transaction, Transaction.customer_id == Customer.id).distinct()
        ).scalars()
        assert {a, b} <= set(owners)
