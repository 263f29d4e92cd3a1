"""A mailing's delivery report (SPEC M6): counts per recipient state, the rates, the
delivery over time as chart points, and the recipients page by page.

Definitions (docs/decisions.md, reports): a message counts as *sent* once the relay took
it — its state is sent, bounced or unsubscribed, or it has a send time; the delivery rate
is sent / recipients, the bounce rate bounced / sent, the open and click rates (only where
tracking was on) the recipients who opened or clicked at least once / sent.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from peewee import JOIN, Case, fn

from app.clock import utcnow
from app.contacts.models import Person
from app.mailings.models import RECIPIENT_STATES, Mailing, MailingRecipient
from app.paging import Page, page_of

# states of a message the relay has accepted
SENT_STATES = ("sent", "bounced_hard", "bounced_soft", "unsubscribed")
BOUNCED_STATES = ("bounced_hard", "bounced_soft")
# states in which the worker is not finished with a recipient
OPEN_STATES = ("queued", "sending", "deferred")
LIVE_MAILING_STATES = ("scheduled", "sending")
PAGE_SIZE = 50
# bucket sizes of the chart, in seconds: the smallest that gives at most MAX_BUCKETS
BUCKETS = (60, 5 * 60, 15 * 60, 30 * 60, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400)
MAX_BUCKETS = 60
# how each state is shown (the CSS class of its badge)
STATE_TONES = {
    "queued": "off",
    "sending": "warn",
    "sent": "ok",
    "deferred": "warn",
    "failed": "alarm",
    "bounced_hard": "alarm",
    "bounced_soft": "warn",
    "unsubscribed": "off",
    "uncertain": "warn",
    "cancelled": "off",
}


def rate(part: int, whole: int) -> float | None:
    """part / whole as a fraction, None when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass
class Summary:
    total: int
    by_state: dict[str, int]
    sent: int
    bounced: int
    opened: int
    clicked: int
    tracking: bool

    @property
    def done(self) -> int:
        """Recipients the worker has finished with (whatever the outcome)."""
        return self.total - sum(self.by_state.get(s, 0) for s in OPEN_STATES)

    @property
    def delivery_rate(self):
        return rate(self.sent, self.total)

    @property
    def bounce_rate(self):
        return rate(self.bounced, self.sent)

    @property
    def open_rate(self):
        return rate(self.opened, self.sent)

    @property
    def click_rate(self):
        return rate(self.clicked, self.sent)


def shows_tracking(mailing: Mailing) -> bool:
    """Open and click figures are shown for a mailing sent with tracking, or for any
    mailing while the organisation tracks (the lead's dispatch sets `Mailing.tracking`)."""
    from app.mailings.tracking import enabled

    return bool(mailing.tracking) or enabled()


def summary(mailing: Mailing) -> Summary:
    """The counts of a mailing's recipients, in two queries."""
    R = MailingRecipient
    by_state = {
        state: count
        for state, count in R.select(R.state, fn.COUNT(R.id))
        .where(R.mailing == mailing.id)
        .group_by(R.state)
        .tuples()
    }
    sent_expr = R.state.in_(SENT_STATES) | R.sent_at.is_null(False)
    sent, opened, clicked = (
        R.select(
            fn.SUM(Case(None, [(sent_expr, 1)], 0)),
            fn.SUM(Case(None, [(R.opened_at.is_null(False), 1)], 0)),
            fn.SUM(Case(None, [(R.clicked_at.is_null(False), 1)], 0)),
        )
        .where(R.mailing == mailing.id)
        .tuples()
        .get()
    )
    return Summary(
        total=sum(by_state.values()),
        by_state=by_state,
        sent=int(sent or 0),
        bounced=sum(by_state.get(s, 0) for s in BOUNCED_STATES),
        opened=int(opened or 0),
        clicked=int(clicked or 0),
        tracking=shows_tracking(mailing),
    )


# --- the chart ------------------------------------------------------------------------------


@dataclass
class Chart:
    """Cumulative messages sent at the end of each bucket, from the first bucket's start
    (0) on; `points` are (time, count). Scaled to the drawing by `coordinates`."""

    points: list[tuple[datetime.datetime, int]]
    bucket: int  # seconds
    maximum: int
    width: int = 720
    height: int = 220
    left: int = 56
    right: int = 16
    top: int = 14
    bottom: int = 34
    ticks: list = field(default_factory=list)  # y ticks: (value, y)
    time_ticks: list = field(default_factory=list)  # x ticks: (time, x)

    @property
    def first(self):
        return self.points[0][0]

    @property
    def last(self):
        return self.points[-1][0]

    def x(self, moment) -> float:
        span = (self.last - self.first).total_seconds() or 1
        inner = self.width - self.left - self.right
        return round(self.left + inner * (moment - self.first).total_seconds() / span, 1)

    def y(self, value) -> float:
        inner = self.height - self.top - self.bottom
        return round(self.top + inner * (1 - value / (self.top_value or 1)), 1)

    @property
    def top_value(self) -> int:
        return self.ticks[-1][0] if self.ticks else self.maximum

    @property
    def coordinates(self) -> list[tuple[float, float, datetime.datetime, int]]:
        return [(self.x(t), self.y(v), t, v) for t, v in self.points]

    @property
    def line(self) -> str:
        return " ".join(f"{x},{y}" for x, y, _, _ in self.coordinates)

    @property
    def area(self) -> str:
        """The closed outline under the line (for the shaded area)."""
        base = self.y(0)
        coords = self.coordinates
        return f"{coords[0][0]},{base} {self.line} {coords[-1][0]},{base}"


def _nice_top(value: int) -> int:
    """A round upper end of the y axis at or above value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return int(10 * magnitude)  # pragma: no cover


def bucket_size(span_seconds: float) -> int:
    """The smallest bucket that divides the span into at most MAX_BUCKETS."""
    for size in BUCKETS:
        if span_seconds / size <= MAX_BUCKETS:
            return size
    return BUCKETS[-1]


def chart(mailing: Mailing, now: datetime.datetime | None = None) -> Chart | None:
    """Delivery over time: None before the first message was sent."""
    R = MailingRecipient
    times = [
        t
        for (t,) in R.select(R.sent_at)
        .where((R.mailing == mailing.id) & R.sent_at.is_null(False))
        .order_by(R.sent_at)
        .tuples()
        .iterator()
    ]
    if not times:
        return None
    start = min(times[0], mailing.started_at or times[0])
    end = times[-1]
    if mailing.state == "sending":
        end = max(end, now or utcnow())
    size = bucket_size((end - start).total_seconds())
    epoch = datetime.datetime(2000, 1, 1)
    first = start - datetime.timedelta(seconds=(start - epoch).total_seconds() % size)
    buckets = max(1, math.ceil((end - first).total_seconds() / size))
    if first + datetime.timedelta(seconds=buckets * size) <= end:
        buckets += 1  # the last message exactly on a boundary belongs to the next bucket
    points, count, index = [(first, 0)], 0, 0
    for n in range(1, buckets + 1):
        edge = first + datetime.timedelta(seconds=n * size)
        while index < len(times) and times[index] < edge:
            index += 1
        count = index
        points.append((edge, count))
    result = Chart(points=points, bucket=size, maximum=count)
    top = _nice_top(count)
    values = (0, top // 2, top) if top % 2 == 0 else (0, top)
    result.ticks = [(value, 0.0) for value in values]  # top_value is read from them
    result.ticks = [(value, result.y(value)) for value in values]
    step = max(1, math.ceil(buckets / 6))
    result.time_ticks = [(t, result.x(t)) for t, _ in points[::step]]
    return result


# --- the recipients -------------------------------------------------------------------------


def recipients_page(mailing: Mailing, state: str = "", q: str = "", page: int = 1) -> Page:
    """One page of the mailing's recipients (with their person, if still there), filtered
    by state and by a text in the address or the person's name."""
    R = MailingRecipient
    query = (
        R.select(R, Person.id, Person.first_name, Person.last_name, Person.title, Person.erased_at)
        .join(Person, JOIN.LEFT_OUTER, on=(R.person == Person.id))
        .where(R.mailing == mailing.id)
        .order_by(R.address, R.id)
    )
    if state in RECIPIENT_STATES:
        query = query.where(R.state == state)
    q = " ".join(q.split())[:200]
    if q:
        condition = R.address.contains(q.lower())
        for word in q.split():
            condition = condition | Person.first_name.contains(word)
            condition = condition | Person.last_name.contains(word)
        query = query.where(condition)
    return page_of(query, page, PAGE_SIZE)
