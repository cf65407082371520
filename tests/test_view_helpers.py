"""Template helpers: cheap links for long lists give exactly what url_for gives."""

from flask import url_for

from crm_sandbox.views.helpers import link_to


def test_link_to_matches_url_for(app):
    with app.test_request_context():
        record = link_to("learner.view_customer", "customer_id", contact_id=7)
        for customer_id in (1, 42, 10_000, 2**62):
            assert record(customer_id) == url_for("learner.view_customer", contact_id=7, customer_id=customer_id)
        article = link_to("learner.read_article", "slug", contact_id=12)
        for slug in (
            "idv-policy",
            "refunds-and-authority-limits",
            "a b",
            "ünïcode",
            "a+b",
            "q&a",
            "x/y",
            "it's",
            "50%",
            "a?b#c",
            "~tilde",
        ):
            assert article(slug) == url_for("learner.read_article", contact_id=12, slug=slug)
        contact = link_to("learner.contact", "contact_id")
        assert [contact(i) for i in (3, 4)] == [url_for("learner.contact", contact_id=i) for i in (3, 4)]


def test_link_to_refuses_what_it_cannot_build_like_url_for(app):
    import pytest

    with app.test_request_context():
        link = link_to("learner.contact", "contact_id")
        for bad in (True, 1.5, None):
            with pytest.raises(TypeError):
                link(bad)
