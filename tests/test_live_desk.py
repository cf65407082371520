"""The live desk without script: what the server renders for it (the browser journey is
tests/browser/test_live_desk.py)."""

import re

from crm_sandbox.queries import caller_state
from tests.helpers import page, post


def test_closing_offers_the_next_contact_in_one_click(client, make_user, login, contact_of):
    learner_id = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    login("learner1")
    first, second = contact_of(learner_id, "balance-enquiry"), contact_of(learner_id, "change-of-address")
    post(client, first, "open")
    post(client, first, "close", outcome="resolved", resolved="yes")
    html = page(client, first)
    assert re.search(rf'<form method="post" action="/learner/contacts/{second}/open"[^>]*id="next-contact"', html)
    resp = post(client, second, "open")
    assert resp.status_code == 303 and resp.location.endswith(f"/learner/contacts/{second}")
    assert f'action="/learner/contacts/{second}/open"' not in page(client, first)  # taken: the live one is offered
    assert f'href="/learner/contacts/{second}">Back to your live contact' in page(client, first)


def test_wrap_up_is_never_inside_a_collapsed_panel(client, make_user, login, contact_of):
    cid = contact_of(make_user("learner1", queue=["balance-enquiry"]), "balance-enquiry")
    login("learner1")
    post(client, cid, "open")
    html = page(client, cid)
    actions = html.index('id="actions"')
    wrapup = html.index('id="wrapup-panel"')
    assert html.index("</details>", actions) < wrapup  # after the Actions panel has closed
    assert '<section class="panel wrapup-panel" id="wrapup-panel"' in html and 'href="#wrapup"' in html
    assert 'id="template-filter-box" hidden' in html  # the canned-reply search appears with script only


def test_the_typing_indicator_follows_the_caller(client, make_user, login, contact_of, monkeypatch):
    cid = contact_of(make_user("learner1", queue=["balance-enquiry"]), "balance-enquiry")
    login("learner1")
    post(client, cid, "open")
    assert '<p class="typing" id="typing" aria-live="polite"></p>' in page(client, cid)
    assert client.get(f"/learner/contacts/{cid}/updates").get_json()["typing"] is False
    monkeypatch.setattr(caller_state, "caller_typing", lambda contact, events=None: True)
    assert "The caller is typing…</p>" in page(client, cid)
    assert client.get(f"/learner/contacts/{cid}/updates").get_json()["typing"] is True
    post(client, cid, "close", outcome="resolved", resolved="yes")
    assert client.get(f"/learner/contacts/{cid}/updates").get_json()["typing"] is False  # closed: nobody types


def test_the_dashboard_says_it_updates_itself(client, make_user, login):
    make_user("assessor1", "assessor")
    login("assessor1")
    html = client.get("/assessor/").get_data(as_text=True)
    assert "need a reload" not in html and "js/dashboard.js" in html
    assert html.count("data-live>") == 3
