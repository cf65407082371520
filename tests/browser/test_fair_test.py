"""A fair test, in a real browser: nothing a learner can reach before a contact closes names its
scenario (title, id or purpose) — page source with attributes and <title>, URLs, JSON and poll
responses, email subjects, downloads — and a record that is not the caller's looks exactly like the
caller's before ID&V. The assessor's observations stay off the learner's desk.

What is the same for every contact is not a give-away and is left out of the search, after checking
that it is the same: the knowledge base (its articles are called e.g. "Power of attorney"), the canned
responses of the channel, and the customer's own words (a caller may say "power of attorney").
"""

import json
import re
from pathlib import Path

from playwright.sync_api import Page, Response, expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, User
from crm_sandbox.operations import review
from crm_sandbox.scenarios import load_library
from tests.browser.helpers import shot

SEED = Path(__file__).resolve().parents[2] / "seed"
OBSERVATION = "Learner forgot to check the postcode zq9"


def give_aways() -> list[str]:
    """Every scenario's title, purpose and id, lower case."""
    words = []
    for f in load_library(SEED):
        if f.scenario:
            words += [f.scenario["title"], f.scenario["purpose"], f.scenario["id"]]
    assert len(words) >= 30
    return [w.lower() for w in words]


def found_in(text: str, words: list[str]) -> list[str]:
    low = text.lower()
    return [w for w in words if w in low]


# The page as HTML (attributes and <title> included), without what every contact shows alike.
CLEANED_HTML = """() => {
  const doc = document.documentElement.cloneNode(true);
  doc.querySelectorAll('#kb').forEach(n => n.innerHTML = '');
  doc.querySelectorAll('#template_id').forEach(n => n.innerHTML = '');
  doc.querySelectorAll('.msg-caller p, .email-in p').forEach(n => n.textContent = '');
  return doc.outerHTML;
}"""


def the_learner(app) -> dict:
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contacts = (
            db.session.execute(select(Contact).where(Contact.learner_id == learner.id).order_by(Contact.position))
            .scalars()
            .all()
        )
        chat = next(c for c in contacts if c.scenario_id == "balance-enquiry")
        other = next(c for c in contacts if c.customer_id != chat.customer_id and c.channel == "chat")
        return {
            "contacts": [(c.id, c.channel, c.scenario_id) for c in contacts],
            "chat": chat.id,
            "caller": (chat.customer.id, chat.customer.last_name),
            "wrong": (other.customer.id, other.customer.last_name),
        }


def observe(app, contact_id: int) -> None:
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review.observe(db.session.get(Contact, contact_id), assessor, OBSERVATION)


def record_panel(page: Page) -> dict:
    """The open record as the learner sees it, with the customer's own values masked: the elements
    in order (tag, classes, attribute names), the labels and the ID&V panel's words."""
    return page.evaluate(
        """() => {
      const rec = document.querySelector('section.record');
      const shape = [...rec.querySelectorAll('*')].map(n =>
        [n.tagName, n.className, [...n.attributes].map(a => a.name).sort().join(' ')].join('|'));
      const idv = rec.querySelector('#idv').cloneNode(true);
      idv.querySelectorAll('input').forEach(i => i.removeAttribute('value'));
      return {
        shape: shape,
        labels: [...rec.querySelectorAll('dt')].map(n => n.textContent),
        masked: [...rec.querySelectorAll('.field')].map(n => n.classList.contains('masked')),
        idv: idv.innerText,
        idv_inputs: [...rec.querySelectorAll('#idv input')].map(i => i.name + '=' + (i.type === 'hidden' && i.name !== 'customer_id' && i.name !== 'factor' ? '' : (i.name === 'customer_id' ? 'ID' : i.value))),
        actions_open: document.querySelector('#actions').open,
        history_note: rec.querySelector('.locked-note') ? rec.querySelector('.locked-note').textContent : null,
        text_without_values: rec.innerText.replace(rec.querySelector('h3').innerText, 'NAME')
          .replace(rec.querySelector('p.muted').innerText, 'REF')
          .replace(/[A-Z]{1,2}\\d[A-Z\\d]? •••/g, 'AREA •••'),
      };
    }"""
    )


def open_record(page: Page, last_name: str, customer_id: int) -> None:
    page.get_by_label("Search customers").fill(last_name)
    page.get_by_role("button", name="Search", exact=True).first.click()
    page.locator(f'.results button[formaction$="/customers/{customer_id}/view"]').click()
    expect(page.locator("#idv")).to_contain_text("Not verified")


class Sweep:
    """Everything the signed-in learner's browser receives, searched for the scenarios' names."""

    def __init__(self, page: Page, words: list[str]) -> None:
        self.page, self.words = page, words
        self.leaks: list[str] = []
        self.urls: list[str] = []
        self.json: list[tuple[str, dict]] = []
        self.kb_text: set[str] = set()
        self.responses: dict[str, set[str]] = {}
        page.on("response", self.on_response)

    def found(self, where: str, text: str) -> None:
        self.leaks.extend(f"{where}: {w}" for w in found_in(text, self.words))

    def on_response(self, resp: Response) -> None:
        self.urls.append(resp.url)
        self.found(f"URL {resp.url}", resp.url)
        if "attachment" in (resp.headers.get("content-disposition") or ""):
            self.leaks.append(f"a download before close: {resp.url}")
        if "json" in (resp.headers.get("content-type") or "") and resp.ok:
            self.json.append((resp.url, resp.json()))

    def check_page(self, where: str) -> str:
        """The page source (attributes and <title> included), and no link to a file."""
        html = self.page.evaluate(CLEANED_HTML)
        self.found(where, html)
        self.found(f"{where} <title>", self.page.title())
        hrefs = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        self.leaks.extend(f"{where}: a download link {h}" for h in hrefs if re.search(r"\.(pdf|zip|csv)\b", h))
        self.leaks.extend(f"{where}: a download attribute" for _ in self.page.locator("a[download]").all())
        return html

    def contact(self, contact_id: int, channel: str) -> None:
        """A contact queued, then taken: its pages, subjects, polls, and its report and PDF refused."""
        page = self.page
        page.goto(f"/learner/contacts/{contact_id}")
        self.check_page(f"contact {contact_id} (queued)")
        page.get_by_role("button", name="Take this contact").click()
        expect(page.locator("#contact-status")).to_have_text("Live")
        html = self.check_page(f"contact {contact_id} (live)")
        assert "Reason for contact" not in html
        self.kb_text.add(page.locator("#kb").inner_text())
        self.responses.setdefault(channel, set()).add(page.locator("#template_id").inner_text())
        if channel == "email":
            subjects = [page.locator(".thread-subject").inner_text(), page.locator("#subject").input_value()]
            for subject in subjects + page.locator(".email-subject").all_inner_texts():
                self.found(f"contact {contact_id} subject {subject!r}", subject)
        with page.expect_response(lambda r: "/updates" in r.url) as polled:  # the page's own poll
            pass
        assert polled.value.ok
        self.json.append((f"updates {contact_id}", self.updates(contact_id)))
        for url in (f"/learner/contacts/{contact_id}/report", f"/reports/contacts/{contact_id}.pdf"):
            resp = page.request.get(url)
            assert resp.status in (403, 404), (url, resp.status)
            self.found(url, resp.text())

    def updates(self, contact_id: int) -> dict:
        return self.page.request.get(f"/learner/contacts/{contact_id}/updates?after=0").json()

    def check_json(self) -> None:
        for url, body in self.json:
            for m in body.get("messages", []) if isinstance(body, dict) else []:
                if m.get("actor") == "caller":  # the customer's own words are theirs; the subject is ours
                    m["text"] = ""
            self.found(f"JSON {url}", json.dumps(body))


def test_nothing_a_learner_can_reach_names_the_scenario(page, live_app, sign_in):
    facts = the_learner(live_app)
    sweep = Sweep(page, give_aways())
    sign_in("learner1")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    queue_html = sweep.check_page("the queue")
    shot(page, "fair-01-neutral-queue")
    assert "Inbound chat" in queue_html and "Inbound call" in queue_html and "Email from customer" in queue_html

    for contact_id, channel, _ in facts["contacts"]:
        sweep.contact(contact_id, channel)
    sweep.check_page("the last contact")
    page.goto("/learner/")
    sweep.check_page("the queue with every contact live")

    # What every contact shows alike really is alike (so leaving it out above hides nothing).
    assert len(sweep.kb_text) == 1
    assert all(len(texts) == 1 for texts in sweep.responses.values())

    # The assessor's observation is evidence, not something the learner sees during the contact.
    observe(live_app, facts["chat"])
    page.goto(f"/learner/contacts/{facts['chat']}")
    with page.expect_response(lambda r: "/updates" in r.url):
        pass
    assert OBSERVATION not in page.content()
    polled = sweep.updates(facts["chat"])
    assert OBSERVATION not in json.dumps(polled)
    assert all(m["type"] != "observation.added" for m in polled["messages"])

    sweep.check_json()
    assert len(sweep.json) > len(facts["contacts"]) and any("/updates" in u for u in sweep.urls)
    assert sweep.leaks == [], "\n".join(sweep.leaks)


def test_a_wrong_record_looks_like_the_right_one_before_idv(page, live_app, sign_in):
    facts = the_learner(live_app)
    sign_in("learner1")
    page.goto(f"/learner/contacts/{facts['chat']}")
    page.get_by_role("button", name="Take this contact").click()
    expect(page.locator("#contact-status")).to_have_text("Live")

    wrong_id, wrong_name = facts["wrong"]
    open_record(page, wrong_name, wrong_id)
    wrong = record_panel(page)
    shot(page, "fair-02-wrong-record")
    wrong_page = page.content()

    right_id, right_name = facts["caller"]
    open_record(page, right_name, right_id)
    right = record_panel(page)
    shot(page, "fair-03-right-record")

    assert wrong == right
    assert "not the account the caller" not in wrong_page and "caller named" not in wrong_page
    assert all(wrong["masked"]) and "Not verified" in wrong["idv"] and "Check" in wrong["idv"]
    with live_app.app_context():  # the rule still flags it for the assessor
        contact = db.session.get(Contact, facts["chat"])
        assert db.session.get(Customer, wrong_id).id != contact.customer_id
        from crm_sandbox.operations.findings import active_findings

        rules = {f.rule for f in active_findings(contact.id)}
    assert "record-access-without-contact" in rules, rules
