"""Helpers for driving the learner desk through the Flask test client, as a learner would."""

import threading
from collections.abc import Callable
from datetime import date

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from crm_sandbox.queries.customers import customer_dict
from tests.conftest import PASSWORD, flashes

FETCH = {"X-Requested-With": "fetch"}


def signed_in(app, username: str, password: str = PASSWORD):
    """A new test client (another browser or tab) signed in as ``username``."""
    client = app.test_client()
    client.post("/auth/login", data={"username": username, "password": password})
    return client


def run_together(target: Callable, arguments: list[tuple]) -> None:
    """Run ``target(*args)`` for each ``args`` in its own thread at once; re-raise the first failure."""
    failures = []

    def run(args):
        try:
            target(*args)
        except BaseException as err:  # noqa: BLE001 (re-raised in the test's thread below)
            failures.append(err)

    threads = [threading.Thread(target=run, args=(args,)) for args in arguments]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


def messages_after(client, resp) -> str:
    """The flash messages shown after a POST (one string): on the page it redirected to, or on the
    page shown again at once with a refused form's typed values (422)."""
    assert resp.status_code in (303, 422), resp.status_code
    if resp.status_code == 422:
        return " ".join(flashes(resp.get_data(as_text=True)))
    return " ".join(flashes(client.get(resp.location).get_data(as_text=True)))


def page(client, contact_id: int, **query) -> str:
    resp = client.get(f"/learner/contacts/{contact_id}", query_string=query)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def kb_search(client, contact_id: int, query: str) -> str:
    """The workspace after a knowledge-base search (a POST: the query is never in the URL)."""
    resp = client.post(f"/learner/contacts/{contact_id}/kb-search", data={"kb_q": query})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def customer_of(app, contact_id: int) -> dict:
    """The caller's customer record as a plain dict (id included), read straight from the database."""
    with app.app_context():
        customer = db.session.get(Contact, contact_id).customer
        return {**customer_dict(customer), "id": customer.id}


def take_and_find(client, contact_id: int, customer: dict) -> None:
    """Take the contact, search for the caller's surname and open their (masked) record."""
    client.post(f"/learner/contacts/{contact_id}/open")
    client.post(f"/learner/contacts/{contact_id}/search", data={"query": customer["last_name"]})
    client.post(f"/learner/contacts/{contact_id}/customers/{customer['id']}/view")


def post(client, contact_id: int, action: str, **data):
    return client.post(f"/learner/contacts/{contact_id}/{action}", data=data)


def say(client, contact_id: int, text: str, **extra):
    return post(client, contact_id, "messages", text=text, **extra)


def check_answer(client, contact_id: int, customer_id: int, factor: str, given: str, **extra):
    return post(client, contact_id, "verify", customer_id=customer_id, factor=factor, answer=given, **extra)


def verify(client, app, contact_id: int, dob_format: str = "%d/%m/%Y", second: str = "postcode") -> dict:
    """Take the contact, open the caller's record and pass ID&V (date of birth, then ``second``).

    Returns the caller's customer record as a dict.
    """
    customer = customer_of(app, contact_id)
    take_and_find(client, contact_id, customer)
    check_answer(
        client,
        contact_id,
        customer["id"],
        "date_of_birth",
        date.fromisoformat(customer["date_of_birth"]).strftime(dob_format),
    )
    given = customer["account_number"][-4:] if second == "account_number_last4" else customer[second]
    check_answer(client, contact_id, customer["id"], second, given)
    return customer


def caller_texts(events: list[tuple]) -> list[str]:
    return [e[1]["text"] for e in events if e[0] == "message.received" and e[4] == "caller"]
