"""A student's phone, played by the real Anki (the ``anki`` test dependency), for tests.

A :class:`Phone` is one Anki collection that lives through simulated study
days without faking the clock. Anki reads the real clock, so the phone
moves Anki's idea of "today" instead:

- **Days.** Anki's today is the number of day rollovers between the
  collection's creation day (``col.crt``) and now. For simulated day *S*
  the phone sets ``crt`` so that Anki counts ``S - created`` days: each
  simulated day that passes moves ``crt`` one day back. Due days of review
  and day-learning cards count from ``crt`` and need no change.
- **Intraday learning.** A learning card's ``due`` is a Unix time that Anki
  takes from the real clock. When the phone moves on *k* days, every such
  time (and a filtered card's ``odue`` holding one) moves *k* days back, so
  the card is as overdue as it would be on a real phone.
- **Answers.** Each answer goes through the v3 scheduler
  (``get_queued_cards``, ``build_answer``, ``answer_card``) with
  ``answered_at_millis`` set to the simulated instant, so the review log id
  is the moment the student answered. The simulated clock advances by the
  time an answer takes, and to a learning card's due time when Anki shows
  it early (its "learn ahead" limit), as a student waiting for the step.
  Rows Anki stamps with the real clock (Set Due Date, Reset) are given the
  simulated instant instead, as a real phone would have stamped them.
- **The collection is reopened each day**, as a phone is switched on anew:
  Anki caches today's timing while a collection is open.
- **Day start.** The phone's day starts at :attr:`Phone.day_start_hour`,
  chosen eight hours before the real time, so no learning step can cross
  Anki's real rollover while a test runs; simulated answers are given eight
  hours into their study day. Give osteo-learn the same ``day-start-hour``
  so both count the same study days.
- **Packages sent out** (:meth:`Phone.export`) carry the creation time a
  phone living the simulated days would have (from which the simulated
  clock counts today's number), as a real phone's file does; the
  collection's own is set for the real clock. Intraday learning dues stay
  on the real clock (osteo-learn does not read them).
- **A whole collection brought in** (:meth:`Phone.import_collection`)
  replaces the phone's, and its ``crt`` is set for the real clock again.
- **Packages brought in** (:meth:`Phone.import_package`) are read on the
  simulated day: Anki shifts a package's due days by the difference between
  the package's today and the collection's, each computed from the real
  clock, so the phone first moves the package's ``crt`` (in a copy) as it
  moves its own.

Simulated days must not be after the real study day: Anki refuses to
export ids (answers) later than tomorrow. FSRS stays off (Anki's default):
with FSRS, Anki measures elapsed days from a card's last answer (the
simulated instant, ``cards.data.lrt``) to the real next rollover.

Cards are named by osteo-learn labels (``"demo/q1"``, ``"demo/letters c2"``):
the note is the one whose GUID is ``note_guid(deck id, card id)``, the
card its ordinal minus one. Notes added on the phone are named by the
label given to :meth:`Phone.add_note`. Ratings are ``"again"``, ``"hard"``,
``"good"`` and ``"easy"``; ``"undo"`` in a card's plan undoes the answer
just given to it.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time as clock
import zipfile
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

# anki.collection first: importing anki.cards first is circular.
from anki.collection import Card, Collection, DeckIdLimit, ExportAnkiPackageOptions, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer

from osteo_learn.anki import models as anki_models
from osteo_learn.anki.package_reader import unicase
from osteo_learn.anki.notes import note_guid

RATINGS = {"again": CardAnswer.AGAIN, "hard": CardAnswer.HARD, "good": CardAnswer.GOOD, "easy": CardAnswer.EASY}
HOURS_INTO_DAY = 8  # simulated answers, and the real clock, this far past the day start
THINK_MS = 4000  # how long each answer takes
GAP_S = 6  # seconds between one answer and the next
DAY_S = 86_400
LEARN, REVIEW, RELEARN, FILTERED, MANUAL = 0, 1, 2, 3, 4  # revlog types


@dataclass(frozen=True)
class Answer:
    """One answer given on the phone, as Anki logged it."""

    label: str | None  # None for a card the phone has no name for
    card_id: int
    rating: str
    revlog_id: int  # the simulated instant, in ms
    kind: int  # revlog type: 0 learn, 1 review, 2 relearn, 3 filtered
    day: date  # the simulated study day

    @property
    def instant(self) -> datetime:
        return datetime.fromtimestamp(self.revlog_id / 1000, timezone.utc)


class Phone:
    """An Anki collection on a simulated phone; see the module's description.

    ``Phone(tmp_path)`` creates the collection in ``tmp_path / "phone"`` on
    simulated day ``start`` (default 60 days before today), its creation day;
    ``day_start_hour`` makes a second phone live the days of a first.
    """

    def __init__(self, folder: Path, *, start: date | None = None, day_start_hour: int | None = None):
        self.folder = Path(folder) / "phone"
        (self.folder / "exports").mkdir(parents=True)
        self.path = self.folder / "collection.anki2"
        real = datetime.now().astimezone()
        self.day_start_hour = (real.hour - HOURS_INTO_DAY) % 24 if day_start_hour is None else day_start_hour
        self.created = start or real_study_day(self.day_start_hour) - timedelta(days=60)
        self.today = self.created
        self.now = self._day_start(self.created)
        self._labels: dict[int, str] = {}  # Anki card id -> label
        self._added: dict[str, int] = {}  # label -> note id, of notes added on the phone
        self._offsets: dict[tuple[int, int], float] = {}  # (card id, learning due) -> simulated minus real seconds
        self.col = Collection(str(self.path))
        self.col.set_config("rollover", self.day_start_hour)
        self._reopen(self.created)

    # -- the simulated clock ---------------------------------------------------------

    def _day_start(self, day: date) -> datetime:
        start = datetime.combine(day, time(self.day_start_hour)).astimezone()
        return start + timedelta(hours=HOURS_INTO_DAY)

    def day_number(self, day: date) -> int:
        """Anki's number for a study day: days since the phone's creation day."""
        return (day - self.created).days

    def date_of(self, day_number: int) -> date:
        return self.created + timedelta(days=day_number)

    def go_to(self, day: date) -> None:
        """Switch the phone on on simulated day ``day`` (not before the current one)."""
        if day < self.today:
            raise ValueError(f"the phone is already at {self.today}; {day} is past")
        if day > real_study_day(self.day_start_hour):
            raise ValueError(f"{day} is after the real study day: Anki refuses to export answers from the future")
        self._reopen(day)

    def _reopen(self, day: date) -> None:
        shift_days = (day - self.today).days
        if self.col.db is not None:
            self.col.close()
        with closing_sqlite(self.path) as conn:
            # Intraday learning dues (and those saved in odue by a filtered deck)
            # follow the simulated clock.
            for column in ("due", "odue"):
                conn.execute(f"UPDATE cards SET {column} = {column} - ? WHERE {column} > 1000000000", (shift_days * DAY_S,))
            # Anki's count of days is never below 0: move crt by the count the
            # real clock gives before clamping, then let Anki confirm it.
            (crt,) = conn.execute("SELECT crt FROM col").fetchone()
            (creation_offset,) = conn.execute("SELECT val FROM config WHERE key = 'creationOffset'").fetchone()
            counted = days_since_creation(crt, json.loads(creation_offset), self.day_start_hour)
            conn.execute("UPDATE col SET crt = crt - ?", ((self.day_number(day) - counted) * DAY_S,))
        self.today, self.now = day, max(self.now, self._day_start(day))
        for _ in range(3):
            self.col = Collection(str(self.path))
            counted = self.col.sched.today
            wanted = self.day_number(day)
            if counted == wanted:
                break
            self.col.close()
            with closing_sqlite(self.path) as conn:
                conn.execute("UPDATE col SET crt = crt - ?", ((wanted - counted) * DAY_S,))
        else:
            raise AssertionError(f"Anki counts day {counted}, not {wanted}")
        self._offsets = {(card_id, due - shift_days * DAY_S): offset + shift_days * DAY_S for (card_id, due), offset in self._offsets.items()}
        self._day_offset = self.now.timestamp() - clock.time()

    def _sim_due(self, card_id: int, due: int) -> datetime:
        """The simulated time a learning card is due: Anki set ``due`` from the real
        clock, when the simulated clock was ``offset`` seconds from it."""
        offset = self._offsets.get((card_id, due), self._day_offset)
        return datetime.fromtimestamp(due + offset).astimezone()

    def _tick(self) -> int:
        """The current simulated instant in ms, unique; the clock moves on."""
        millis = int(self.now.timestamp() * 1000)
        self.now += timedelta(milliseconds=THINK_MS, seconds=GAP_S)
        return millis

    # -- naming cards ----------------------------------------------------------------

    def card_id(self, label: str | int) -> int:
        """The Anki card id of a label (or an id, returned as it is)."""
        if isinstance(label, int):
            return label
        if label in self._added:
            note_id, ord_ = self._added[label], 0
        else:
            deck_id, _, rest = label.partition("/")
            card_id, _, ordinal = rest.partition(" c")
            ord_ = int(ordinal) - 1 if ordinal else 0
            note_id = self.col.db.scalar("SELECT id FROM notes WHERE guid = ?", note_guid(deck_id, card_id))
            if note_id is None:
                raise KeyError(f"no note on the phone for {label}")
        card_id = self.col.db.scalar("SELECT id FROM cards WHERE nid = ? AND ord = ?", note_id, ord_)
        if card_id is None:
            raise KeyError(f"no card on the phone for {label}")
        self._labels[card_id] = label
        return card_id

    def name_cards(self, labels: Iterable[str]) -> None:
        """Learn the labels of cards (e.g. every label of an osteo-learn store), so
        answers to them carry their label even when studied without a plan."""
        for label in labels:
            try:
                self.card_id(label)
            except KeyError:
                pass

    def card(self, label: str | int) -> Card:
        return self.col.get_card(self.card_id(label))

    def revlog(self, label: str | int | None = None) -> list[tuple]:
        """Rows (id, cid, ease, ivl, lastIvl, factor, time, type), by id; of one card or all."""
        sql = "SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog"
        if label is None:
            return [tuple(row) for row in self.col.db.all(sql + " ORDER BY id")]
        return [tuple(row) for row in self.col.db.all(sql + " WHERE cid = ? ORDER BY id", self.card_id(label))]

    def due_day(self, label: str | int) -> date | None:
        """The calendar study day a review or day-learning card is due on (None for others)."""
        card = self.card(label)
        if card.odid and card.type == 2:  # a review card in a filtered deck keeps its due in odue
            return self.date_of(card.odue)
        if card.queue in (2, 3):
            return self.date_of(card.due)
        return None

    # -- bringing packages in ------------------------------------------------------

    def import_package(self, path: Path, *, with_scheduling: bool = True):
        """Import an ``.apkg`` on the current simulated day (File > Import; with
        "Import any learning progress" as ``with_scheduling``); return Anki's log."""
        copy = self.folder / f"import-{Path(path).name}"
        read_on_day(Path(path), copy, self.today)
        request = ImportAnkiPackageRequest(
            package_path=str(copy), options=ImportAnkiPackageOptions(with_scheduling=with_scheduling)
        )
        try:
            return self.col.import_anki_package(request).log
        finally:
            copy.unlink()

    def add_note(self, deck: str, front: str, back: str, *, label: str) -> int:
        """Add a Basic note to ``deck`` (made if need be); return its card's id."""
        note = self.col.new_note(self.col.models.by_name("Basic"))
        note["Front"], note["Back"] = front, back
        self.col.add_note(note, self.col.decks.id(deck))
        self._added[label] = note.id
        return self.card_id(label)

    # -- studying ------------------------------------------------------------------

    def study_day(
        self,
        day: date,
        answers: Mapping[str | int, Sequence[str]] | None = None,
        *,
        deck: str = anki_models.PARENT_DECK_NAME,
        default: str | None = None,
    ) -> list[Answer]:
        """Go to ``day`` and study ``deck`` (see :meth:`study`)."""
        self.go_to(day)
        return self.study(answers, deck=deck, default=default)

    def study(
        self,
        answers: Mapping[str | int, Sequence[str]] | None = None,
        *,
        deck: str = anki_models.PARENT_DECK_NAME,
        default: str | None = None,
        limit: int = 1000,
    ) -> list[Answer]:
        """Study ``deck`` (and its subdecks) today, as Anki's queue shows the cards.

        Each time a card comes up it gets the next rating of its plan in
        ``answers`` (by label or card id); a card without one gets ``default``,
        and with no default the student stops there. Returns the answers given.
        """
        plans = defaultdict(deque)
        for key, ratings in (answers or {}).items():
            plans[self.card_id(key)].extend(ratings)
        self.col.decks.select(self.col.decks.id(deck, create=False))
        given: list[Answer] = []
        for _ in range(limit):
            queued = self.col.sched.get_queued_cards().cards
            if not queued:
                break
            head = queued[0]
            plan = plans[head.card.id]
            rating = plan.popleft() if plan else default
            if rating is None:
                break
            if head.card.queue in (1, 4) and head.card.due > 1_000_000_000:
                # Shown before its step is over: the student waits for it.
                self.now = max(self.now, self._sim_due(head.card.id, head.card.due))
            given.append(self._answer(head, rating))
            if plan and plan[0] == "undo":
                plan.popleft()
                self.undo()
                given.pop()
        else:
            raise AssertionError(f"more than {limit} answers in one session")
        return given

    def _answer(self, head, rating: str) -> Answer:
        card = Card(self.col, backend_card=head.card)
        card.start_timer()
        answer = self.col.sched.build_answer(card=card, states=head.states, rating=RATINGS[rating])
        answer.answered_at_millis = self._tick()
        answer.milliseconds_taken = THINK_MS
        # Anki stamps a learning due time in whole seconds of the real clock.
        offset = answer.answered_at_millis / 1000 - int(clock.time())
        self.col.sched.answer_card(answer)
        kind, = self.col.db.first("SELECT type FROM revlog WHERE id = ?", answer.answered_at_millis)
        queue, due = self.col.db.first("SELECT queue, due FROM cards WHERE id = ?", card.id)
        if queue in (1, 4):
            self._offsets[card.id, due] = offset
        return Answer(self._labels.get(card.id), card.id, rating, answer.answered_at_millis, kind, self.today)

    def undo(self) -> None:
        """Edit > Undo: takes back the last answer (its log row goes too)."""
        self.col.undo()

    def set_due_date(self, label: str | int, days: str) -> None:
        """Browse > Set Due Date (``"0"`` today, ``"3"`` in three days, ``"3!"`` also
        setting the interval); logged as a manual row (type 4, ease 0)."""
        card_id = self.card_id(label)
        self.col.sched.set_due_date([card_id], days)
        self._restamp_manual_row(card_id)

    def forget(self, label: str | int) -> None:
        """Browse > Reset: back to new; logged as a manual row with factor 0."""
        card_id = self.card_id(label)
        self.col.sched.schedule_cards_as_new([card_id], restore_position=True, reset_counts=False)
        self._restamp_manual_row(card_id)

    def _restamp_manual_row(self, card_id: int) -> None:
        newest = self.col.db.scalar("SELECT max(id) FROM revlog WHERE cid = ? AND type = ?", card_id, MANUAL)
        if newest is not None and newest > int(self.now.timestamp() * 1000):
            self.col.db.execute("UPDATE revlog SET id = ? WHERE id = ?", self._tick(), newest)

    def filtered_deck(self, name: str, search: str, *, reschedule: bool, limit: int = 100) -> int:
        """Tools > Create Filtered Deck, built now; a cram deck when ``reschedule``
        is off (answers logged as type 3 with factor 0, the schedule untouched)."""
        deck = self.col.sched.get_or_create_filtered_deck(deck_id=0)
        deck.name = name
        deck.config.reschedule = reschedule
        del deck.config.search_terms[:]
        deck.config.search_terms.add(search=search, limit=limit, order=0)
        return self.col.sched.add_or_update_filtered_deck(deck).id

    def empty_filtered_deck(self, name: str) -> None:
        self.col.sched.empty_filtered_deck(self.col.decks.id(name, create=False))

    def delete_note(self, label: str | int) -> None:
        """Delete the note of a card (its review log stays in the collection)."""
        self.col.remove_notes([self.card(label).nid])

    # -- exporting -------------------------------------------------------------------

    def export(self, kind: str, *, legacy: bool = False, deck: str | None = anki_models.PARENT_DECK_NAME) -> Path:
        """File > Export, with scheduling and media: ``"apkg"`` of ``deck`` (None:
        all decks), or ``"colpkg"``, the whole collection; ``legacy`` ticks
        "Support older Anki versions" (package version 2, else 3)."""
        version = 2 if legacy else 3
        path = self.folder / "exports" / f"{kind}-v{version}-{self.today}-{len(list((self.folder / 'exports').iterdir()))}.{kind}"
        if kind == "apkg":
            limit = DeckIdLimit(deck_id=self.col.decks.id(deck, create=False)) if deck else None
            options = ExportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True, with_media=True, legacy=legacy)
            self.col.export_anki_package(out_path=str(path), options=options, limit=limit)
        elif kind == "colpkg":
            self.col.export_collection_package(str(path), include_media=True, legacy=legacy)
            self.col.reopen()
        else:
            raise ValueError(f"kind is apkg or colpkg, not {kind!r}")
        restamp_creation(path, self._simulated_crt())
        return path

    def _simulated_crt(self) -> int:
        """The creation time a phone living the simulated days would have: the one from
        which the simulated clock counts today's day number (the file's is set for the real clock)."""
        crt = self.col.crt
        offset = self.col.get_config("creationOffset")
        counted = days_since_creation(crt, offset, self.day_start_hour, self.now)
        return crt + (counted - self.day_number(self.today)) * DAY_S

    def import_collection(self, path: Path) -> None:
        """File > Import of a whole collection (``.colpkg``): the collection is replaced
        by the file's, read on the current simulated day (its ``crt`` set for the real
        clock again, as a package's is on import)."""
        self.col.close()
        backend = self.col._backend
        media_folder, media_db = str(self.folder / "collection.media"), str(self.folder / "collection.media.db2")
        backend.import_collection_package(col_path=str(self.path), backup_path=str(path), media_folder=media_folder, media_db=media_db)
        self._reopen(self.today)

    def close(self) -> None:
        self.col.close()


# -- a story to tell ---------------------------------------------------------------


@dataclass
class Fortnight:
    """What :func:`fortnight` did: the answers of each day, the card of the deleted
    note (its log stays in a .colpkg) and the label of the card in the second deck."""

    answers: dict[date, list[Answer]]
    deleted: int
    deleted_label: str
    other: str = "other/hola"


def fortnight(phone: Phone, labels: Sequence[str]) -> Fortnight:
    """Two weeks of study on the phone, from its current day, leaving every kind of
    review log row Anki writes. Needs at least three osteo-learn cards, named by
    ``labels`` (the first three are used by name), imported and not studied.

    - day 0: learning steps (the first card: Again, Good, Good); an undone
      answer (the second: Hard, undone, then Easy); every other card Good
      until it graduates. A note added to a second deck, "Other", studied.
    - day 1: the first card lapses (Again: review; Good: relearn); the rest Good.
    - day 2: Set Due Date "0" on the second card (a manual row, ease 0), then
      it is reviewed; the rest Good.
    - day 3: a cram deck (rescheduling off) over the Osteo Learn deck: every
      card once, Good (filtered rows with factor 0); emptied.
    - day 4: a filtered deck that reschedules, over cards not yet due: each
      Good (early reviews: filtered rows with a factor); emptied.
    - day 5: the third card's note is deleted.
    - days 7 and 13: everything due, Good.
    """
    first, second, third = labels[:3]
    start = phone.today
    day = lambda n: start + timedelta(days=n)  # noqa: E731
    answers: dict[date, list[Answer]] = {}
    answers[day(0)] = phone.study({first: ["again", "good", "good"], second: ["hard", "undo", "easy"]}, default="good")
    phone.add_note("Other", "hola", "hello", label="other/hola")
    answers[day(0)] += phone.study(deck="Other", default="good")
    answers[day(1)] = phone.study_day(day(1), {first: ["again", "good"]}, default="good")
    answers[day(1)] += phone.study(deck="Other", default="good")
    phone.go_to(day(2))
    phone.set_due_date(second, "0")
    answers[day(2)] = phone.study(default="good")
    phone.go_to(day(3))
    phone.filtered_deck("Cram", f'deck:"{anki_models.PARENT_DECK_NAME}"', reschedule=False)
    answers[day(3)] = phone.study(deck="Cram", default="good")
    phone.empty_filtered_deck("Cram")
    phone.go_to(day(4))
    phone.filtered_deck("Ahead", f'deck:"{anki_models.PARENT_DECK_NAME}" prop:due>0', reschedule=True)
    answers[day(4)] = phone.study(deck="Ahead", default="good")
    phone.empty_filtered_deck("Ahead")
    phone.go_to(day(5))
    deleted = phone.card_id(third)
    phone.delete_note(third)
    for n in (7, 13):
        answers[day(n)] = phone.study_day(day(n), default="good")
        answers[day(n)] += phone.study(deck="Other", default="good")
    return Fortnight(answers, deleted, third)


# -- helpers -------------------------------------------------------------------------


def real_study_day(day_start_hour: int) -> date:
    return (datetime.now().astimezone() - timedelta(hours=day_start_hour)).date()


def anki_today(crt: int, creation_offset: int, rollover: int, now: datetime | None = None) -> int:
    """Anki's "today" (days elapsed) for a collection, as ``rslib/src/scheduler/timing.rs``
    computes it with a creation offset (minutes west of UTC) and a rollover hour:
    the number of local dates from the creation day to now, less one before
    the rollover hour, and never below 0."""
    return max(0, days_since_creation(crt, creation_offset, rollover, now))


def days_since_creation(crt: int, creation_offset: int, rollover: int, now: datetime | None = None) -> int:
    """:func:`anki_today` before Anki clamps it at 0."""
    now = (now or datetime.now()).astimezone()
    created = datetime.fromtimestamp(crt, timezone(timedelta(minutes=-creation_offset)))
    passed = now >= now.replace(hour=rollover % 24, minute=0, second=0, microsecond=0)
    return now.date().toordinal() - created.date().toordinal() - (0 if passed else 1)


def read_on_day(source: Path, target: Path, day: date) -> None:
    """A copy of a version-1 package (osteo-learn's export) whose collection Anki
    reads as of ``day``: its ``crt`` moved so that the real clock gives the
    package's today of that simulated day."""
    with tempfile.TemporaryDirectory() as work:
        collection = Path(work) / "collection.anki2"
        with zipfile.ZipFile(source) as package:
            if "collection.anki2" not in package.namelist() or "meta" in package.namelist():
                raise ValueError(f"{source}: the phone reads version-1 packages only")
            collection.write_bytes(package.read("collection.anki2"))
            with closing_sqlite(collection) as conn:
                crt, conf = conn.execute("SELECT crt, conf FROM col").fetchone()
                conf = json.loads(conf)
                offset, rollover = conf.get("creationOffset"), conf.get("rollover")
                if offset is None or rollover is None:
                    raise ValueError(f"{source}: the phone needs a package with creationOffset and rollover")
                created = datetime.fromtimestamp(crt, timezone(timedelta(minutes=-offset))).date()
                wanted = (day - created).days
                counted = anki_today(crt, offset, rollover)
                conn.execute("UPDATE col SET crt = ?", (crt + (counted - wanted) * DAY_S,))
            with zipfile.ZipFile(target, "w") as copy:
                for info in package.infolist():
                    data = collection.read_bytes() if info.filename == "collection.anki2" else package.read(info)
                    copy.writestr(info, data)


def restamp_creation(path: Path, crt: int) -> None:
    """Set the ``crt`` of the collection inside a package Anki wrote (any version)."""
    import zstandard

    with tempfile.TemporaryDirectory() as work:
        collection = Path(work) / "collection"
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
            entry = next(name for name in ("collection.anki21b", "collection.anki21", "collection.anki2") if name in names)
            data = package.read(entry)
            collection.write_bytes(zstandard.ZstdDecompressor().decompressobj().decompress(data) if entry.endswith("b") else data)
            with closing_sqlite(collection) as conn:
                conn.execute("UPDATE col SET crt = ?", (crt,))
            data = collection.read_bytes()
            if entry.endswith("b"):
                data = zstandard.ZstdCompressor().compress(data)
            rewritten = Path(work) / "package"
            with zipfile.ZipFile(rewritten, "w") as copy:
                for info in package.infolist():
                    copy.writestr(info, data if info.filename == entry else package.read(info))
        rewritten.replace(path)


class closing_sqlite:
    """A sqlite3 connection to a closed collection, committed and closed on leaving."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path)
        self.conn.create_collation("unicase", unicase)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.conn.commit()
        self.conn.close()

