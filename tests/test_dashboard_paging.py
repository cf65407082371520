"""The assessor's dashboard draws one page of contacts at a time; filters carry across pages; a page number
that is not one of ours shows the nearest page and says so, never an error."""

import re

import pytest

from crm_sandbox.queries import dashboard as board
from tests.test_assessor import staff  # noqa: F401  (a learner's contact closed and awaiting review)


@pytest.fixture
def cohort_of_95(make_user, login):
    """Five learners with the 19 scenarios queued each: 95 contacts, two pages of 50."""
    for n in range(1, 6):
        make_user(f"learner{n}", queue=[])
    make_user("assessor1", "assessor")
    login("assessor1")


def contact_rows(html: str) -> list[str]:
    section = html.split('id="contacts-section"', 1)[1]
    return re.findall(r'<span class="status status-\w+">', section)


def test_the_contacts_table_is_paged_and_page_two_has_the_rest(client, cohort_of_95):
    first = client.get("/assessor/").get_data(as_text=True)
    assert len(contact_rows(first)) == 50
    assert "Contacts 1–50 of 95 · page 1 of 2" in first
    assert 'rel="next" href="/assessor/?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/assessor/?page=2").get_data(as_text=True)
    assert len(contact_rows(second)) == 45
    assert "Contacts 51–95 of 95 · page 2 of 2" in second
    assert 'rel="prev" href="/assessor/?page=1"' in second and 'rel="next"' not in second
    # the learners' table still counts every contact, not only the page's
    assert second.count('<td class="num">19</td>') == 5


@pytest.mark.parametrize("asked, shown", [("0", 1), ("abc", 1), ("-3", 1), ("99", 2), ("9" * 40, 1), ("2.5", 1)])
def test_a_page_number_we_do_not_have_shows_the_nearest_page_and_says_so(client, cohort_of_95, asked, shown):
    response = client.get("/assessor/", query_string={"page": asked})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"There is no page “{asked[:20]}” of these contacts: showing page {shown} of 2." in html
    assert f"page {shown} of 2</span>" in html


def test_filters_carry_across_pages(client, cohort_of_95, monkeypatch):
    monkeypatch.setattr(board, "PAGE_SIZE", 5)
    learner = re.search(r'<option value="(\d+)" >learner2<', client.get("/assessor/").get_data(as_text=True))
    assert learner
    lid = learner.group(1)
    html = client.get(f"/assessor/?learner={lid}&status=queued").get_data(as_text=True)
    assert "Contacts 1–5 of 19 · page 1 of 4" in html
    assert f'href="/assessor/?page=2&amp;learner={lid}&amp;status=queued"' in html
    last = client.get(f"/assessor/?learner={lid}&status=queued&page=4").get_data(as_text=True)
    assert "Contacts 16–19 of 19 · page 4 of 4" in last
    assert len(contact_rows(last)) == 4
    assert "learner1" not in last.split('id="contacts-section"', 1)[1]


def test_one_page_needs_no_pager(client, cohort_of_95):
    html = client.get("/assessor/?status=queued&learner=999999").get_data(as_text=True)
    assert "No contacts match." in html and 'class="pager"' not in html


def test_the_review_queue_shows_its_first_rows_and_links_to_the_rest(client, staff, monkeypatch):  # noqa: F811
    monkeypatch.setattr(board, "AWAITING_SHOWN", 0)
    html = client.get("/assessor/").get_data(as_text=True)
    assert "Awaiting review (1)" in html
    assert 'The first 0 of 1: <a class="link" href="/assessor/?status=closed">' in html


def test_page_of_keeps_the_order_and_counts():
    page = board.page_of(list(range(7)), "2", size=3)
    assert (page.rows, page.number, page.count, page.total, page.first, page.last, page.asked) == (
        [3, 4, 5],
        2,
        3,
        7,
        4,
        6,
        "",
    )
    empty = board.page_of([], "", size=3)
    assert (empty.rows, empty.number, empty.count, empty.first, empty.last) == ([], 1, 1, 0, 0)
