"""Every page asks the browser for an icon: /favicon.ico exists, and the pages link an SVG one."""


def test_the_favicon_is_served_and_linked(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert client.get("/static/favicon.svg").status_code == 200
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in html and 'href="/favicon.ico"' in html
