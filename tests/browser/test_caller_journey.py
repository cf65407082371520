"""The caller in a real browser: the learner sees the caller typing and its reply arrive when due, with no
page load; an assessor takes over the caller mid-reply, the reply being typed is cancelled (never shown),
and the assessor's words reach the learner's desk live. The clock is the test's (``caller_replies.clock``)."""

from datetime import timedelta

from playwright.sync_api import expect

from crm_sandbox.models import utcnow
from crm_sandbox.operations.desk import caller_replies
from tests.browser.helpers import events_of, shot, take_from_queue
from tests.browser.test_live_desk import MARKER, RUN_AXE, facts_of, signed_in, top


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_the_caller_types_replies_when_due_and_an_assessor_takes_over(browser, live_app, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(caller_replies, "clock", clock)
    live_app.config["CALLER_REPLY_DELAYS"] = True
    facts = facts_of(live_app)

    page = signed_in(browser, live_app, "learner1")
    take_from_queue(page, facts["id"])
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    page.evaluate(f"{MARKER} = 'still here'")
    convo_top = top(page, "#conversation")
    callers = page.locator("#conversation .msg-caller")
    opening = callers.count()

    # The learner asks; the caller is typing (its reply decided but not shown), then it arrives when due.
    page.locator("#text").fill("How can I help you today?")
    page.locator("#composer").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#typing")).to_have_text("The caller is typing…")
    shot(page, "caller-typing")
    assert top(page, "#conversation") == convo_top
    decided = events_of(live_app, facts["id"])[-1]
    assert decided.type == "caller.typing"
    page.wait_for_timeout(2000)  # a poll or two: still typing, nothing delivered before it is due
    expect(callers).to_have_count(opening)
    clock.wait(120)
    expect(callers).to_have_count(opening + 1)
    expect(callers.last).to_contain_text(decided.data["text"][:30])
    expect(page.locator("#typing")).to_have_text("")

    # Asked again, the caller types; an assessor takes over meanwhile: that reply is cancelled.
    page.locator("#text").fill("Are you on a computer or on your phone at the moment?")
    page.locator("#composer").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#typing")).to_have_text("The caller is typing…")
    pending = events_of(live_app, facts["id"])[-1]
    assert pending.type == "caller.typing" and pending.data["text"]

    assessor = signed_in(browser, live_app, "assessor1")
    assessor.goto(f"/assessor/contacts/{facts['id']}/observe")
    assessor.get_by_role("button", name="Play the caller").click()
    expect(assessor.get_by_label("Say, as the caller")).to_be_visible()
    expect(assessor.locator("#timeline")).to_contain_text("was cancelled (an assessor took over the caller)")
    shot(assessor, "caller-taken-over")
    expect(page.locator("#typing")).to_have_text("")
    clock.wait(600)  # long past its time: it never arrives
    page.wait_for_timeout(2000)
    expect(callers).to_have_count(opening + 1)
    assert pending.data["text"] not in page.locator("#conversation").inner_text()

    # The assessor answers as the caller: the learner's desk shows it, still without a page load.
    assessor.get_by_label("Say, as the caller").fill("I'm on my phone, love, sorry it's a bit slow.")
    assessor.get_by_role("button", name="Send as caller").click()
    expect(callers.last).to_contain_text("I'm on my phone, love")
    expect(callers).to_have_count(opening + 2)
    shot(page, "caller-played-by-assessor")
    assert page.evaluate(RUN_AXE) == []
    assert page.evaluate(MARKER) == "still here" and loads == [], f"page loads: {loads}"
