"""Opt-in open and click tracking (SPEC M6) through real requests: the rewritten HTML, the
public pixel and redirect that count first time and totals, forged and altered links
refused (no open redirect), the rate limit, and the setting (off by default)."""

import html as html_module
import re
from urllib.parse import urlsplit

from app.mailings.models import MailingRecipient
from app.mailings.tracking import open_url, rewrite_html
from app.settings.services import get
from tests.conftest import csrf_token
from tests.mailings import delivery

BODY = (
    "<!doctype html><html><body><p>Hallo</p>"
    '<p><a href="https://example.org/presse?a=1&amp;b=zwei%20drei#teil" rel="noopener">Mappe</a> '
    '<a href="http://example.com/">Start</a> <a href="mailto:presse@example.org">Mail</a> '
    '<a title="x" href="{public}/u/abmelden">Abmelden</a></p></body></html>'
)


def _rows(app, world, n=2):
    with app.app_context():
        m = delivery.mailing(world["alpha"], tracking=True)
        return [delivery.recipient(m, f"r{i}@example.org", minute=i).token for i in range(n)]


def _rewrite(app, token):
    with app.app_context():
        public = app.config["PUBLIC_URL"]
        return public, rewrite_html(BODY.format(public=public), token)


def _local(url, public):
    assert url.startswith(public + "/t/")
    return url[len(public) :]


def _links(rewritten):
    return [html_module.unescape(h) for h in re.findall(r'<a [^>]*href="([^"]+)"', rewritten)]


def _row(app, token):
    with app.app_context():
        return MailingRecipient.get(MailingRecipient.token == token)


def test_links_and_the_pixel_are_rewritten(app, world):
    token = _rows(app, world, 1)[0]
    public, rewritten = _rewrite(app, token)
    links = _links(rewritten)
    assert links[0].startswith(f"{public}/t/c/{token}.")
    assert links[1].startswith(f"{public}/t/c/{token}.")
    assert links[2] == "mailto:presse@example.org"  # not http(s): left alone
    assert links[3] == f"{public}/u/abmelden"  # the app's own links: left alone
    assert 'rel="noopener"' in rewritten and ">Mappe</a>" in rewritten
    pixel = re.search(r'<img src="([^"]+)" width="1" height="1" alt=""', rewritten)
    assert pixel and html_module.unescape(pixel.group(1)).endswith(".gif")
    assert rewritten.index("<img") < rewritten.index("</body>")
    # a body without a frame gets the pixel at the end
    with app.app_context():
        bare = rewrite_html('<p><a href="https://example.org">x</a></p>', token)
    assert bare.endswith('border:0;">') and "/t/c/" in bare


def test_an_open_is_counted_without_signing_in(app, world, clock):
    token = _rows(app, world, 1)[0]
    with app.app_context():
        public, url = app.config["PUBLIC_URL"], open_url(token)
    anonymous = app.test_client()
    response = anonymous.get(_local(url, public))
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert response.data.startswith(b"GIF89a") and len(response.data) == 43
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "no-store" in response.headers["Cache-Control"]
    first = _row(app, token)
    assert first.opens == 1 and first.opened_at is not None and first.clicks == 0
    clock.advance(minutes=30)
    anonymous.get(_local(url, public))
    again = _row(app, token)
    assert again.opens == 2 and again.opened_at == first.opened_at  # the first time is kept


def test_a_click_is_counted_and_redirects_to_exactly_the_link(app, world):
    token, other = _rows(app, world, 2)
    public, rewritten = _rewrite(app, token)
    anonymous = app.test_client()
    response = anonymous.get(_local(_links(rewritten)[0], public))
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.org/presse?a=1&b=zwei%20drei#teil"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    row = _row(app, token)
    assert row.clicks == 1 and row.clicked_at is not None
    assert row.opened_at is not None and row.opens == 0  # a click proves an open
    assert anonymous.get(_local(_links(rewritten)[1], public)).headers["Location"] == (
        "http://example.com/"
    )
    assert _row(app, token).clicks == 2
    assert _row(app, other).clicks == 0


def test_forged_and_altered_links_are_refused(app, world):
    token, other = _rows(app, world, 2)
    public, rewritten = _rewrite(app, token)
    good = _local(_links(rewritten)[0], public)
    path, _, query = good.partition("?")
    value = path.rsplit("/", 1)[1]
    client = app.test_client()
    attempts = [
        # the open redirect: the signed link with another target
        f"{path}?u=https://evil.example/phish",
        f"{path}?u=https%3A%2F%2Fexample.org%2Fpresse%3Fa%3D1",  # a changed query string
        f"{path}?u=javascript:alert(1)",
        path,  # no target at all
        # another recipient's token with this signature
        f"/t/c/{other}.{value.rsplit('.', 1)[1]}?{query}",
        f"/t/c/{token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?{query}",
        f"/t/c/{token}?{query}",  # no signature
        "/t/o/" + value + ".gif",  # a click signature is no open signature
        f"/t/o/{token}.gif",
        f"/t/o/{other}.forged.gif",
    ]
    for attempt in attempts:
        response = client.get(attempt)
        assert response.status_code == 404, attempt
        assert "evil.example" not in response.headers.get("Location", "")
    for t in (token, other):
        row = _row(app, t)
        assert (row.opens, row.clicks, row.opened_at, row.clicked_at) == (0, 0, None, None)


def test_a_link_of_a_deleted_mailing_still_redirects(app, world):
    token = _rows(app, world, 1)[0]
    public, rewritten = _rewrite(app, token)
    with app.app_context():
        MailingRecipient.delete().where(MailingRecipient.token == token).execute()
    response = app.test_client().get(_local(_links(rewritten)[1], public))
    assert response.status_code == 302 and response.headers["Location"] == "http://example.com/"


def test_the_endpoints_are_rate_limited(app, world):
    app.config["TRACKING_RATE_LIMIT"] = "3 per minute"
    token = _rows(app, world, 1)[0]
    with app.app_context():
        public, url = app.config["PUBLIC_URL"], open_url(token)
    client = app.test_client()
    codes = [client.get(_local(url, public)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert _row(app, token).opens == 3


def test_the_setting_is_off_by_default_and_explained(app, client, login_as):
    with app.app_context():
        assert get("tracking") is False
    login_as("administrator")
    page = client.get("/admin/settings/").get_data(as_text=True)
    assert 'name="tracking"' in page and "privacy" in page
    assert not re.search(
        r'<input[^>]*checked[^>]*name="tracking"|name="tracking"[^>]*checked', page
    )
    form = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    form = {k: v for k, v in form.items() if k != "tracking"}
    for key, value in re.findall(
        r'<select[^>]*name="(\w+)".*?<option value="([^"]*)" selected', page, re.S
    ):
        form[key] = value
    for key in ("require_second_factor", "starting_phase"):
        form.pop(key, None)
    form |= {"tracking": "y", "csrf_token": csrf_token(client, "/admin/settings/")}
    response = client.post("/admin/settings/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert get("tracking") is True
    assert urlsplit(response.headers["Location"]).path == "/admin/settings/"


def test_the_rewrite_fits_the_message_builders_html_filter(app, world):
    """The dispatch passes `rewrite_html` as `MessageTemplate.render(html_filter=…)`: the
    HTML part gets tracked links and the pixel, the text part and the app's own footer
    links stay as they are."""
    import email
    import email.policy

    from app.mailings.message import MessageTemplate

    token = _rows(app, world, 1)[0]
    with app.app_context():
        public = app.config["PUBLIC_URL"]
        m = delivery.mailing(
            world["alpha"], html='<p>Siehe <a href="https://example.org/mappe">Mappe</a></p>'
        )
        m.text = "Siehe https://example.org/mappe\n"
        template = MessageTemplate(m, sender="Presse <presse@alpha.example>")
        raw = template.render(
            {},
            to="r0@example.org",
            html_footer=f'<p><a href="{public}/u/x">Abmelden</a></p>',
            html_filter=lambda body: rewrite_html(body, token),
        )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert f"{public}/t/c/{token}." in html and f"{public}/t/o/{token}." in html
    assert f'href="{public}/u/x"' in html
    assert "https://example.org/mappe" in text and "/t/c/" not in text
