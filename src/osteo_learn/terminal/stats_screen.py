"""Study statistics: gathered with a few aggregate queries, drawn in the terminal or given as JSON.

What is shown, and over which days:

* reviews per day over the last 26 weeks, as a calendar heatmap (a column
  per week, Monday at the top);
* cards falling due on each of the next 30 days, as a bar chart;
* retention over the last 30 days: the share of scheduled reviews recalled
  (grade 3 or more), for young cards (interval under 21 days) and mature
  ones; new cards' first answers and same-day repeats are left out;
* cards by state (new, young, mature, retired) and due today;
* the streak: consecutive study days with an answer, up to today (or up
  to yesterday while today has none yet);
* the hardest cards: lowest EF first, then most lapses;
* the leeches: cards suspended for lapsing too often, with what to do.

It fits any width from 60 columns: titles wrap, bars and the forecast
narrow, card texts are shortened at a word.

The store reads only those windows of the log, through covering indexes,
so the time does not grow with the length of the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from osteo_learn.core import cloze
from osteo_learn.core.cards import Basic, Cloze, Vignette
from osteo_learn.core.text import clean
from osteo_learn.store import Store
from osteo_learn.store.rows import StoredCard
from osteo_learn.store.stats import MATURE_INTERVAL, CardCounts, Retention
from osteo_learn.terminal.layout import width_of, wrap
from osteo_learn.terminal.style import Style

HEATMAP_WEEKS = 26
RETENTION_DAYS = 30
FORECAST_DAYS = 30
HARDEST = 10

_SHADES = "·░▒▓█"
_EIGHTHS = " ▁▂▃▄▅▆▇█"
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@dataclass(frozen=True)
class Stats:
    today: date
    deck_ids: tuple[str, ...]
    heatmap_start: date
    reviews_per_day: dict[date, int]
    retention_since: date
    retention: Retention
    forecast: dict[date, int]
    cards: CardCounts
    streak: int
    hardest: list[StoredCard]
    leeches: list[StoredCard] = ()

    @property
    def studied_today(self) -> bool:
        return self.reviews_per_day.get(self.today, 0) > 0


def collect(store: Store, today: date, deck_ids: tuple[str, ...] = ()) -> Stats:
    """Read everything the stats show from the store (a handful of queries)."""
    start = today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)
    since = today - timedelta(days=RETENTION_DAYS - 1)
    per_day = {day: n for day, n in store.stats.reviews_per_day(start, deck_ids).items() if day <= today}
    return Stats(
        today=today,
        deck_ids=tuple(deck_ids),
        heatmap_start=start,
        reviews_per_day=per_day,
        retention_since=since,
        retention=store.stats.retention(since, deck_ids),
        forecast=store.stats.due_forecast(today + timedelta(days=1), today + timedelta(days=FORECAST_DAYS), deck_ids),
        cards=store.stats.card_counts(today, deck_ids),
        streak=store.stats.streak(today, deck_ids),
        hardest=store.stats.hardest_cards(HARDEST, deck_ids),
        leeches=store.stats.leeches(deck_ids),
    )


def _rate(recalled: int, reviews: int) -> float | None:
    return round(recalled / reviews, 4) if reviews else None


def to_json(stats: Stats) -> dict:
    """The numbers behind the drawing, for scripts."""
    r, c = stats.retention, stats.cards
    forecast_days = [stats.today + timedelta(days=n) for n in range(1, FORECAST_DAYS + 1)]
    return {
        "today": stats.today.isoformat(),
        "decks": list(stats.deck_ids) or None,
        "reviews_per_day": {
            "from": stats.heatmap_start.isoformat(),
            "to": stats.today.isoformat(),
            "total": sum(stats.reviews_per_day.values()),
            "days": {day.isoformat(): n for day, n in sorted(stats.reviews_per_day.items())},
        },
        "due_forecast": [{"day": day.isoformat(), "due": stats.forecast.get(day, 0)} for day in forecast_days],
        "retention": {
            "from": stats.retention_since.isoformat(),
            "to": stats.today.isoformat(),
            "mature_interval_days": MATURE_INTERVAL,
            "young": {"reviews": r.young_reviews, "recalled": r.young_recalled, "rate": _rate(r.young_recalled, r.young_reviews)},
            "mature": {"reviews": r.mature_reviews, "recalled": r.mature_recalled, "rate": _rate(r.mature_recalled, r.mature_reviews)},
        },
        "cards": {
            "new": c.new,
            "young": c.young,
            "mature": c.mature,
            "retired": c.retired,
            "due_today": c.due_today,
            "suspended": c.suspended,
        },
        "streak": {"days": stats.streak, "studied_today": stats.studied_today},
        "hardest": [
            {
                "deck": s.deck_id,
                "card": s.card.id,
                "ordinal": s.ordinal,
                "ease_factor": float(s.state.ease_factor),
                "lapses": s.state.lapses,
                "interval": s.state.interval,
                "due": s.state.due.isoformat() if s.state.due else None,
            }
            for s in stats.hardest
        ],
        "leeches": [
            {"deck": s.deck_id, "card": s.card.id, "ordinal": s.ordinal, "ref": s.ref, "lapses": s.state.lapses}
            for s in stats.leeches
        ],
    }


# -- drawing --------------------------------------------------------------------------


def render(stats: Stats, style: Style, width: int = 80) -> str:
    """The stats as text for a terminal ``width`` columns wide."""
    sections = [
        _heatmap(stats, style, width),
        _forecast(stats, style, width),
        _retention(stats, style, width),
        _cards(stats, style),
        _streak(stats, style, width),
        _hardest(stats, style, width),
    ]
    if stats.leeches:
        sections.append(_leeches(stats, style, width))
    return "\n\n".join(sections)


def _title(style: Style, text: str) -> str:
    return style.bold(text)


def _head(style: Style, title: str, rest: str, width: int) -> str:
    """A section's title and what follows it: on one line when it fits, else wrapped below."""
    if width_of(title) + 2 + width_of(rest) <= width:
        return _title(style, title) + f"  {rest}"
    return _title(style, title) + "\n" + wrap(rest, width, "  ")


def _shorten(text: str, room: int) -> str:
    """``text`` in ``room`` columns, cut after a word with an ellipsis when longer."""
    if width_of(text) <= room:
        return text
    out = ""
    for word in text.split():
        candidate = f"{out} {word}" if out else word
        if width_of(candidate) + 1 > room:
            break
        out = candidate
    return out + "…" if out else ""


def _heatmap(stats: Stats, style: Style, width: int) -> str:
    weeks = max(4, min(HEATMAP_WEEKS, (width - 6) // 2))
    start = stats.heatmap_start + timedelta(weeks=HEATMAP_WEEKS - weeks)
    counts = {d: n for d, n in stats.reviews_per_day.items() if d >= start}
    most = max(counts.values(), default=0)
    total, days = sum(counts.values()), sum(1 for n in counts.values() if n)

    def cell(day: date) -> str:
        if day > stats.today:
            return "  "
        n = counts.get(day, 0)
        if not n:
            return style.dim(_SHADES[0]) + " "
        level = min(4, max(1, -(-4 * n // most)))
        return style.green(_SHADES[level]) + " "

    months = [" "] * (weeks * 2 + 2)
    last_label_end = -1
    for week in range(weeks):
        monday = start + timedelta(weeks=week)
        if week == 0:
            # Label the first column only if its month lasts two weeks more.
            first = (monday + timedelta(weeks=2)).month == monday.month
        else:
            first = monday.month != (monday - timedelta(weeks=1)).month
        if first and week * 2 > last_label_end:
            label = _MONTHS[monday.month - 1]
            months[week * 2 : week * 2 + 3] = list(label)
            last_label_end = week * 2 + 3
    rest = f"{total:,} answers on {days} day{'s' if days != 1 else ''}" + (f", at most {most:,} in a day" if most else "")
    lines = [_head(style, f"Reviews, last {weeks} weeks", rest, width), "     " + "".join(months).rstrip()]
    for weekday, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        row = "".join(cell(start + timedelta(weeks=week, days=weekday)) for week in range(weeks))
        lines.append(f"{name:<4} {row}".rstrip())
    legend = " ".join(style.dim(_SHADES[0]) if i == 0 else style.green(_SHADES[i]) for i in range(5))
    lines.append(f"     less {legend} more")
    return "\n".join(lines)


def _forecast(stats: Stats, style: Style, width: int, height: int = 6) -> str:
    days = [stats.today + timedelta(days=n) for n in range(1, FORECAST_DAYS + 1)]
    values = [stats.forecast.get(day, 0) for day in days]
    most = max(values, default=0)
    total = sum(values)
    header = _head(style, f"Due in the next {FORECAST_DAYS} days", f"{total:,} reviews, {stats.cards.due_today:,} due today", width)
    if not most:
        return header + "\n  nothing falls due"
    margin = len(f"{most:,}") + 1
    # A bar and a space a day where that fits; bars side by side on a narrow terminal.
    step = 2 if margin + 1 + FORECAST_DAYS * 2 + 4 <= width else 1
    eighths = [-(-v * height * 8 // most) for v in values]
    lines = [header]
    for row in range(height - 1, -1, -1):
        label = f"{most:,}" if row == height - 1 else ""
        bars = "".join(_EIGHTHS[max(0, min(8, e - row * 8))] + " " * (step - 1) for e in eighths)
        lines.append(f"{label:>{margin}} " + style.cyan(bars.rstrip()))
    ticks = [" "] * (FORECAST_DAYS * step + 6)
    for n in range(0, FORECAST_DAYS, 7 if step == 2 else 14):
        text = days[n].strftime("%m-%d")
        ticks[n * step : n * step + len(text)] = list(text)
    lines.append(" " * (margin + 1) + "".join(ticks).rstrip())
    return "\n".join(lines)


def _bar(share: float, length: int = 20) -> str:
    eighths = round(share * length * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def _retention(stats: Stats, style: Style, width: int = 80) -> str:
    r = stats.retention
    lines = [_head(style, f"Retention, last {RETENTION_DAYS} days", "share of reviews recalled (grade 3 or more)", width)]
    counts = max(len(f"{r.young_recalled:,} of {r.young_reviews:,}"), len(f"{r.mature_recalled:,} of {r.mature_reviews:,}"))
    length = max(5, min(20, width - (2 + 24 + 1 + 4 + 2 + 2) - counts))
    for name, recalled, reviews in (
        (f"young (interval < {MATURE_INTERVAL} d)", r.young_recalled, r.young_reviews),
        (f"mature (interval {MATURE_INTERVAL}+ d)", r.mature_recalled, r.mature_reviews),
    ):
        if reviews:
            share = recalled / reviews
            bar = _bar(share, length).ljust(length)
            lines.append(f"  {name:<24} {share:>4.0%}  {style.green(bar)}  {recalled:,} of {reviews:,}")
        else:
            lines.append(f"  {name:<24}    -  no reviews")
    return "\n".join(lines)


def _cards(stats: Stats, style: Style) -> str:
    c = stats.cards
    rows = [("new", c.new), ("young", c.young), ("mature", c.mature), ("retired", c.retired)]
    total = sum(n for _, n in rows)
    widest = max(len(f"{n:,}") for _, n in rows)
    held = f", {c.suspended:,} suspended" if c.suspended else ""
    lines = [_head(style, "Cards", f"{total:,} in all, {c.due_today:,} due today{held}", 80)]
    for name, n in rows:
        bar = style.cyan(_bar(n / total)) if total else ""
        lines.append(f"  {name:<8} {n:>{widest},}  {bar}".rstrip())
    return "\n".join(lines)


def _streak(stats: Stats, style: Style, width: int = 80) -> str:
    n = stats.streak
    if n == 0:
        return _head(style, "Streak", "no study yesterday or today: study today to start one", width)
    note = "including today" if stats.studied_today else "study today to keep it"
    return _head(style, "Streak", f"{n:,} day{'s' if n != 1 else ''} in a row ({note})", width)


def _card_text(stored: StoredCard) -> str:
    content = stored.card.content
    if isinstance(content, Basic):
        text = content.front
    elif isinstance(content, Cloze):
        text = cloze.render(content.text, stored.ordinal, reveal=False)
    elif isinstance(content, Vignette):
        text = content.question
    else:  # pragma: no cover - every kind is handled above
        text = ""
    return " ".join(clean(text).split())


def _hardest(stats: Stats, style: Style, width: int) -> str:
    lines = [_title(style, "Hardest cards") + "  lowest EF, then most lapses"]
    if not stats.hardest:
        lines.append(wrap("none yet: every reviewed card is at the starting EF 2.5 without a lapse", width, "  "))
        return "\n".join(lines)
    lines.append(style.dim(f"  {'EF':>4} {'lapses':>6} {'interval':>8}  card"))
    one_deck = len({stored.deck_id for stored in stats.hardest}) == 1
    for stored in stats.hardest:
        s = stored.state
        interval = f"{s.interval} d"
        head = f"  {float(s.ease_factor):>4.2f} {s.lapses:>6} {interval:>8}  "
        name = clean(stored.label.split("/", 1)[1] if one_deck else stored.label)
        text = _card_text(stored)
        room = width - width_of(head) - width_of(name) - 3
        if room > 10 and _shorten(text, room):
            lines.append(f"{head}{name}  {style.dim(_shorten(text, room))}")
        else:
            lines.append(f"{head}{name}")
    return "\n".join(lines)


def _leeches(stats: Stats, style: Style, width: int) -> str:
    n = len(stats.leeches)
    rest = f"{n} card{'' if n == 1 else 's'} suspended for lapsing too often"
    lines = [
        _head(style, "Leeches", rest, width),
        wrap("Rewrite each, then bring it back with osteo-learn unsuspend CARD.", width, "  "),
        style.dim(f"  {'lapses':>6}  card"),
    ]
    one_deck = len({stored.deck_id for stored in stats.leeches}) == 1
    if one_deck:
        lines[1] = wrap(
            f"Rewrite each, then bring it back with osteo-learn unsuspend {stats.leeches[0].deck_id}/CARD.", width, "  "
        )
    for stored in stats.leeches:
        name = clean(stored.ref.split("/", 1)[1] if one_deck else stored.ref)
        head = f"  {stored.state.lapses:>6}  {name}"
        room = width - width_of(head) - 3
        text = _shorten(_card_text(stored), room) if room > 10 else ""
        lines.append(f"{head}  {style.dim(text)}" if text else head)
    return "\n".join(lines)
