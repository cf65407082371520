"""Training rooms are often offline: a whole journey works with outbound connections blocked."""

import socket

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact


@pytest.fixture
def no_network(monkeypatch):
    """Any connection to a non-loopback address fails, as in a room with no internet."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and sock.family != socket.AF_UNIX:
            attempts.append(address)
            raise OSError(f"network blocked by the test: {address}")
        return real_connect(sock, address)

    def guarded_create_connection(address, *args, **kwargs):
        if address[0] not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network blocked by the test: {address}")
        return socket._real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "_real_create_connection", socket.create_connection, raising=False)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    yield attempts
    assert attempts == [], f"the app tried to reach the network: {attempts}"


def test_a_full_journey_needs_no_network(app, client, make_user, login, contact_of, no_network):
    uid = make_user("learner1", queue=["change-of-address"])
    make_user("assessor1", "assessor")
    cid = contact_of(uid, "change-of-address")
    with app.app_context():
        c = db.session.get(Contact, cid).customer
        facts = (c.id, c.last_name, c.date_of_birth, c.postcode)
    login("learner1")
    base = f"/learner/contacts/{cid}"
    for url, data in [
        (f"{base}/open", {}),
        (f"{base}/search", {"query": facts[1]}),
        (f"{base}/customers/{facts[0]}/view", {}),
        (f"{base}/verify", {"customer_id": facts[0], "factor": "date_of_birth", "answer": facts[2]}),
        (f"{base}/verify", {"customer_id": facts[0], "factor": "postcode", "answer": facts[3]}),
        (f"{base}/messages", {"text": "Thanks for confirming. What's the new address?"}),
        (f"{base}/kb/idv-policy", {}),
        (f"{base}/details", {"field": "address_line1", "value": "14 Quillfeather Lane"}),
        (f"{base}/notes", {"text": "Address updated after ID&V.", "outcome": "resolved"}),
        (f"{base}/close", {"outcome": "resolved", "resolved": "yes"}),
    ]:
        assert client.post(url, data=data).status_code in (302, 303), url
    assert client.get(base).status_code == 200
    client.post("/auth/logout")
    login("assessor1")
    assert client.get(f"/assessor/contacts/{cid}/review").status_code == 200  # spelling: local dictionary
    client.post(f"/assessor/contacts/{cid}/sign-off", data={"outcome": "competent", "feedback": "Well done."})
    pdf = client.get(f"/reports/contacts/{cid}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    pack = client.get(f"/reports/learners/{uid}/evidence-pack.zip")
    assert pack.status_code == 200 and pack.data[:2] == b"PK"
