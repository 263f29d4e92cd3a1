"""A mailing's delivery report (SPEC M6) through real requests: counts per state, delivery
and bounce rates, the chart's points, the summary that polls itself only while the mailing
is scheduled or sending, filter, search and paging of the recipients, open and click
figures only with tracking, rights (read access enough, hidden 404)."""

import re

from app.mailings.models import Mailing
from app.settings.services import set_value
from tests.mailings import delivery

HX = {"HX-Request": "true"}


def _mixed(app, world, **fields):
    """Ten recipients: six sent and two bounced over five minutes, one deferred, one
    refused by the relay."""
    with app.app_context():
        m = delivery.mailing(world["alpha"], bytes_total=10 * 48_000, recipients_total=10, **fields)
        for n in range(6):
            delivery.recipient(m, f"r{n}@example.org", minute=n, size=48_000)
        delivery.recipient(
            m,
            "anna.mueller@sz.example",
            "bounced_hard",
            person=world["anna"],
            minute=1,
            bounce_kind="hard",
            bounce_code="5.1.1",
            bounce_reason="User unknown",
        )
        delivery.recipient(m, "weg@example.net", "bounced_soft", minute=2, bounce_code="4.2.2")
        delivery.recipient(
            m, "spaeter@example.com", "deferred", smtp_code=451, smtp_response="4.7.1 Try later"
        )
        delivery.recipient(
            m, "nein@example.com", "failed", smtp_code=550, smtp_response="5.7.1 Relaying denied"
        )
        return m.id


def _count(html, state):
    match = re.search(rf'data-state="{state}">([\d,.]+)<', html)
    return int(match.group(1).replace(",", "")) if match else 0


def test_counts_rates_volume_and_the_recipients(app, client, world):
    mailing_id = _mixed(app, world)
    response = client.get(f"/mailings/{mailing_id}/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert {s: _count(html, s) for s in ("sent", "bounced_hard", "bounced_soft")} == {
        "sent": 6,
        "bounced_hard": 1,
        "bounced_soft": 1,
    }
    assert _count(html, "deferred") == 1 and _count(html, "failed") == 1
    assert _count(html, "queued") == 0
    # 8 of 10 taken by the relay; 2 of those 8 bounced
    assert "80.0%" in html and "25.0%" in html
    assert "469 KB" in html or "480.0 kB" in html  # 480,000 bytes
    assert "5.1.1" in html and "User unknown" in html
    assert "451" in html and "4.7.1 Try later" in html
    assert "Relaying denied" in html
    assert f'href="/contacts/{world["anna"]}"' in html and "Anna Müller" in html
    assert "10 recipients" in html
    # no tracking: no open or click figures
    assert "Open rate" not in html and "Click rate" not in html
    assert 'hx-trigger="every 2s"' not in html


def test_the_chart_has_one_point_per_minute_and_a_text_alternative(app, client, world):
    mailing_id = _mixed(app, world)
    html = client.get(f"/mailings/{mailing_id}/report").get_data(as_text=True)
    svg = re.search(r"<svg[^>]*class=\"chart-svg\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    # messages at 9:00 … 9:05 in one-minute buckets: 9:00 (0) up to 9:06 (all 8)
    assert svg.count("<circle") == 7
    points = re.search(r'<polyline class="chart-line" points="([^"]+)"', svg).group(1).split()
    assert len(points) == 7
    ys = [float(p.split(",")[1]) for p in points]
    assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]  # cumulative: only rises
    assert "8 messages sent between" in svg
    table = re.search(r'<details class="chart-table">.*?</details>', html, re.S).group(0)
    assert table.count("<tr>") == 8  # header + 7 points
    assert ">8</td>" in table


def test_a_long_dispatch_is_drawn_in_larger_buckets(app, client, world):
    with app.app_context():
        m = delivery.mailing(world["alpha"])
        for n in range(0, 600, 7):  # ten hours
            delivery.recipient(m, f"r{n}@example.org", minute=n)
    html = client.get(f"/mailings/{m.id}/report").get_data(as_text=True)
    circles = html.count("<circle")
    assert 10 <= circles <= 61  # at most 60 buckets: 15 minutes for ten hours
    assert "one point per 15 minutes" in html


def test_the_summary_polls_while_sending_and_stops_when_done(app, client, world):
    with app.app_context():
        m = delivery.mailing(world["alpha"], state="sending")
        delivery.recipient(m, "a@example.org", minute=0)
        delivery.recipient(m, "b@example.org", "queued")
    page = client.get(f"/mailings/{m.id}/report").get_data(as_text=True)
    summary_url = f"/mailings/{m.id}/report/summary"
    assert f'hx-get="{summary_url}" hx-trigger="every 2s"' in page
    assert "1 of 2 recipients done" in page
    partial = client.get(summary_url, headers=HX)
    assert partial.status_code == 200
    text = partial.get_data(as_text=True)
    assert text.lstrip().startswith("<div") and "<html" not in text
    assert 'hx-trigger="every 2s"' in text
    with app.app_context():
        Mailing.update(state="sent").where(Mailing.id == m.id).execute()
    done = client.get(summary_url, headers=HX).get_data(as_text=True)
    assert 'id="report-summary"' in done and "hx-trigger" not in done
    # without htmx, the summary's URL leads to the report
    plain = client.get(summary_url)
    assert plain.status_code == 302 and plain.headers["Location"].endswith(
        f"/mailings/{m.id}/report"
    )


def test_a_scheduled_mailing_polls_and_a_draft_has_nothing_to_report(app, client, world):
    with app.app_context():
        scheduled = delivery.mailing(world["alpha"], state="scheduled")
        draft = Mailing.create(client=world["alpha"], subject="Entwurf")
    assert 'hx-trigger="every 2s"' in client.get(f"/mailings/{scheduled.id}/report").get_data(
        as_text=True
    )
    html = client.get(f"/mailings/{draft.id}/report").get_data(as_text=True)
    assert "has not been sent yet" in html and "<svg" not in html
    assert "hx-trigger" not in html.split('id="report-summary"')[1].split(">")[0]


def test_filter_search_and_paging(app, client, world):
    with app.app_context():
        m = delivery.mailing(world["alpha"])
        for n in range(118):
            delivery.recipient(m, f"empfaenger{n:03d}@example.org", minute=n % 20)
        delivery.recipient(m, "anna.mueller@sz.example", "bounced_hard", person=world["anna"])
        delivery.recipient(m, "juergen@radio.example", "deferred", person=world["juergen"])
    url = f"/mailings/{m.id}/report"
    html = client.get(url).get_data(as_text=True)
    assert "120 recipients" in html and "page 1 of 3" in html
    assert html.count('<td class="address">') == 50
    last = client.get(url + "?page=3").get_data(as_text=True)
    assert last.count('<td class="address">') == 20
    assert "page 3 of 3" in client.get(url + "?page=99").get_data(as_text=True)
    bounced = client.get(url + "?state=bounced_hard").get_data(as_text=True)
    assert bounced.count('<td class="address">') == 1 and "anna.mueller@sz.example" in bounced
    # by name (the person's), by part of the address; the table alone for htmx
    found = client.get(url + "?q=J%C3%BCrgen", headers=HX)
    text = found.get_data(as_text=True)
    assert "<html" not in text and text.count('<td class="address">') == 1
    assert "juergen@radio.example" in text
    assert found.headers["HX-Push-Url"] == f"{url}?q=J%C3%BCrgen"
    by_address = client.get(url + "?q=empfaenger11", headers=HX).get_data(as_text=True)
    assert by_address.count('<td class="address">') == 8  # 110 … 117
    nothing = client.get(url + "?q=niemand&state=sent").get_data(as_text=True)
    assert "No recipient matches." in nothing
    # an unknown state is ignored
    assert "120 recipients" in client.get(url + "?state=bogus").get_data(as_text=True)


def test_open_and_click_figures_only_with_tracking(app, client, world, login_as):
    with app.app_context():
        m = delivery.mailing(world["alpha"], tracking=True)
        a = delivery.recipient(m, "a@example.org", minute=0)
        delivery.recipient(m, "b@example.org", minute=1)
        a.opened_at, a.opens, a.clicked_at, a.clicks = delivery.START, 3, delivery.START, 1
        a.save()
        plain = delivery.mailing(world["alpha"], subject="Ohne Tracking")
        delivery.recipient(plain, "c@example.org", minute=0)
    html = client.get(f"/mailings/{m.id}/report").get_data(as_text=True)
    assert "Open rate" in html and "Click rate" in html and "50.0%" in html
    assert "×3" in html  # three opens of a@
    assert "Open rate" not in client.get(f"/mailings/{plain.id}/report").get_data(as_text=True)
    with app.app_context():
        set_value("tracking", True)
    assert "Open rate" in client.get(f"/mailings/{plain.id}/report").get_data(as_text=True)


def test_read_access_is_enough_and_hidden_is_404(app, client, world):
    with app.app_context():
        readable = delivery.mailing(world["beta"], subject="Beta-Meldung")
        delivery.recipient(readable, "bea@example.org", minute=0)
        hidden = delivery.mailing(world["gamma"], subject="Geheime Meldung")
        delivery.recipient(hidden, "gerda@example.org", minute=0)
    assert client.get(f"/mailings/{readable.id}/report").status_code == 200
    for path in ("/report", "/report/summary"):
        response = client.get(f"/mailings/{hidden.id}{path}", headers=HX)
        assert response.status_code == 404
        assert "gerda" not in response.get_data(as_text=True)
    assert client.get("/mailings/999999/report").status_code == 404


def test_the_index_links_to_the_reports_of_mailings_past_the_draft(app, client, world):
    with app.app_context():
        sent = delivery.mailing(world["alpha"], subject="Versandt")
        draft = Mailing.create(client=world["alpha"], subject="Noch Entwurf")
    html = client.get("/mailings/").get_data(as_text=True)
    assert f'href="/mailings/{sent.id}/report"' in html
    assert f'href="/mailings/{draft.id}/report"' not in html


def test_signed_out_users_are_sent_to_the_sign_in(app, client, world):
    with app.app_context():
        m = delivery.mailing(world["alpha"])
    client.post("/logout", data={})  # may be refused without a token; the new client is clean
    fresh = app.test_client()
    response = fresh.get(f"/mailings/{m.id}/report")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
