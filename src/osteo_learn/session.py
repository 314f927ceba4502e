"""The daily review: one card at a time in the terminal, every answer saved at once.

The command reads the clock once (``now`` and the study day ``today``) and
hands them in; the time of each answer is ``now`` plus the monotonic time
elapsed since (:func:`osteo_learn.clock.elapsed`), so a session that runs
past the day-start hour still counts for the day it began.

Each grade is written with :meth:`Store.record`, which commits before it
returns; only then is the answer acknowledged on screen and the next card
shown, so an answer the student saw acknowledged survives a crash. ``u``
takes the last answer back with :meth:`Store.undo` (one transaction; the log
keeps the row, marked undone) and shows that card again.

Keys (one press on a terminal; one answer per line from a pipe):

==========  ==============================================================
space/Enter  show the answer (never grades)
A-E          pick an option of a case vignette
0-5          grade, once the answer is shown (0-2 after a wrong pick, 3-5
             after the right one)
s            show the source passage, once the answer is shown
u            undo the last answer of this session
q            end the session (exit code 0; so does end of input)
Ctrl-C       end the session (exit code 130)
?            help
==========  ==============================================================
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TextIO

from osteo_learn import clock, queue, sm2, terminal
from osteo_learn.cards import Basic, Cloze, Vignette
from osteo_learn.queue import Entry, Kind
from osteo_learn.settings import Settings
from osteo_learn.store import Review, Store, StoredCard
from osteo_learn.terminal import ENTER, EOF, INTERRUPT, clean, marked, wrap

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), so a calling script can tell; ``q`` exits 0."""

MAX_WIDTH = 90
"""Text is wrapped to the terminal's width, but no wider than this, to stay readable."""

_SPARE_CARDS = 100
"""Extra due and new cards fetched beyond the limits, to replace buried siblings."""

_CLEAR = "\x1b[H\x1b[2J"
_ERASE_LINE = "\r\x1b[K"


@dataclass(frozen=True)
class Options:
    """What the student narrowed or changed for this one session."""

    deck_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    new_limit: int | None = None
    review_limit: int | None = None


class _End(Exception):
    """The student ended the session (``q``, Ctrl-C or end of input)."""

    def __init__(self, interrupted: bool):
        self.interrupted = interrupted


class _Undone(Exception):
    """The last answer was taken back; the queue shows that card again."""


def run(
    store: Store,
    settings: Settings,
    now: datetime,
    today: date,
    options: Options = Options(),
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run a review session; return the exit code (0, or 130 after Ctrl-C)."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    with terminal.keys(stdin) as keys:
        return Session(store, settings, now, today, options, keys, stdout).run()


def describe_interval(days: int) -> str:
    """An interval as the review screen shows it: days, then months, then years."""
    if days == 1:
        return "1 day"
    if days < 60:
        return f"{days} days"
    if days < 365:
        return f"{days / 30.4:.1f} months"
    return f"{days / 365:.1f} years"


def describe_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def source_passage(document: str, excerpt: str) -> tuple[str, str, str] | None:
    """The paragraph of ``document`` holding ``excerpt``, split as (before, excerpt, after).

    Whitespace may differ between the two (as the deck check allows).
    Paragraphs are separated by blank lines, or by line breaks in a document
    without blank lines. ``None`` when the excerpt is not found.
    """
    words = excerpt.split()
    if not words:
        return None
    found = re.search(r"\s+".join(map(re.escape, words)), document)
    if found is None:
        return None
    separator = "\n\n" if "\n\n" in document.strip() else "\n"
    start = document.rfind(separator, 0, found.start())
    start = 0 if start < 0 else start + len(separator)
    end = document.find(separator, found.end())
    end = len(document) if end < 0 else end

    def flat(text: str) -> str:
        return re.sub(r"\s+", " ", text) if separator == "\n\n" else text

    before = flat(document[start : found.start()])
    after = flat(document[found.end() : end])
    return before.lstrip(), flat(found.group(0)), after.rstrip()


@dataclass
class _Answered:
    review: Review
    entry: Entry[StoredCard]


@dataclass
class _CardView:
    """What is on screen for the current card."""

    entry: Entry[StoredCard]
    revealed: bool = False
    choice: int | None = None
    show_source: bool = False
    blocks_printed: int = 0
    # Shown once, below the card, until the next key: a complaint or the help.
    notice: str = ""


class Session:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        now: datetime,
        today: date,
        options: Options,
        keys: terminal.Keys,
        out: TextIO,
    ):
        self.store = store
        self.settings = settings
        self.now = now
        self.today = today
        self.options = options
        self.keys = keys
        self.out = out
        self.style = terminal.Style(terminal.colour_wanted(out))
        self.screen = terminal.is_terminal(out)
        self.width = min(terminal.terminal_width(out), MAX_WIDTH)
        self.started = clock.elapsed()
        self.answers: list[_Answered] = []
        self.states: dict[int, sm2.CardState] = {}
        self.status = ""
        self.titles: dict[str, str] = {}
        self.plan: queue.Plan | None = None
        self.queue: queue.Queue[StoredCard] = queue.Queue(())
        self.view: _CardView | None = None

    # -- output -----------------------------------------------------------------

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def para(self, text: str, indent: str = "  ") -> str:
        """Deck text, cleaned and wrapped, with highlights styled."""
        return self.style.marks(wrap(text, self.width, indent))

    # -- the session ------------------------------------------------------------

    def run(self) -> int:
        interrupted = False
        try:
            self.titles = self.store.deck_titles()
            self.plan = self.build()
            if not self.plan.entries:
                self.plan = self.nothing_to_study()
                if self.plan is None:
                    return 0
            self.queue = queue.Queue(self.plan.entries)
            while self.queue.current is not None:
                try:
                    self.study(self.queue.current)
                except _Undone:
                    continue
        except _End as end:
            interrupted = end.interrupted
        except KeyboardInterrupt:
            interrupted = True
        self.summary(interrupted)
        return EXIT_INTERRUPTED if interrupted else 0

    def build(self) -> queue.Plan:
        o, s = self.options, self.settings
        review_limit = s.reviews_per_day if o.review_limit is None else o.review_limit
        new_limit = max(0, s.new_per_day - self.store.new_introduced(self.today)) if o.new_limit is None else o.new_limit
        due = self.store.due_cards(self.today, o.deck_ids, o.tags, limit=review_limit + _SPARE_CARDS) if review_limit else []
        new = self.store.new_cards(o.deck_ids, o.tags, limit=new_limit + _SPARE_CARDS) if new_limit else []
        return queue.plan(
            due,
            new,
            repeats=self.store.repeats_owed(self.today, o.deck_ids, o.tags),
            studied_siblings=self.store.reviewed_siblings(self.today),
            review_limit=review_limit,
            new_limit=new_limit,
        )

    def scope(self) -> str:
        parts = []
        if self.options.deck_ids:
            parts.append("in " + ", ".join(self.options.deck_ids))
        if self.options.tags:
            parts.append("tagged " + ", ".join(self.options.tags))
        return (" " + " ".join(parts)) if parts else ""

    def nothing_to_study(self) -> queue.Plan | None:
        """Say why nothing is due and when the next card is; offer new cards ahead."""
        o, st = self.options, self.style
        self.line(st.bold(f"Nothing to review now{self.scope()}."))
        next_due = self.store.next_due(self.today, o.deck_ids, o.tags)
        if next_due is not None:
            count = self.store.count_due(next_due, o.deck_ids, o.tags) - self.store.count_due(self.today, o.deck_ids, o.tags)
            self.line(f"Next review: {_when(next_due, self.today)}, {count} card{_s(count)}.")
        assert self.plan is not None
        if self.plan.buried:
            n = self.plan.buried
            self.line(f"{n} card{_s(n)} wait for another day, because a sibling (another deletion of the same cloze) was studied today.")
        remaining = self.store.count_new(o.deck_ids, o.tags)
        if not remaining:
            if next_due is None:
                self.line("No cards to study.")
            return None
        introduced = self.store.new_introduced(self.today)
        limit_reached = o.new_limit is None and introduced >= self.settings.new_per_day
        if not limit_reached:
            return None
        ahead = min(remaining, self.settings.new_per_day or 10)
        self.line(
            f"Today's new cards are done ({introduced} of {self.settings.new_per_day}); "
            f"{remaining} new card{_s(remaining)} remain."
        )
        self.write(f"Learn {ahead} more now? [y/N] ")
        key = self.keys.read()
        if self.keys.single_key:
            self.line(key if key.isprintable() else "")
        if key.lower() not in ("y", "yes"):
            self.line(f"Tomorrow, or now with: osteo-learn review --new {ahead}")
            return None
        return queue.plan(
            [],
            self.store.new_cards(o.deck_ids, o.tags, limit=ahead + _SPARE_CARDS),
            studied_siblings=self.store.reviewed_siblings(self.today),
            review_limit=0,
            new_limit=ahead,
        )

    # -- one card -------------------------------------------------------------------

    def study(self, entry: Entry[StoredCard]) -> None:
        view = self.view = _CardView(entry)
        content = entry.card.card.content
        shown_at = clock.elapsed()
        self.draw(view)
        if isinstance(content, Vignette):
            letters = "ABCDE"[: len(content.options)]
            hint = f"{letters[0]}-{letters[-1]} choose an answer · u undo · q quit · ? help"
            while True:
                key = self.read_key(hint)
                if key.upper() in letters and len(key) == 1:
                    view.choice = letters.index(key.upper())
                    break
                self.common_key(key, hint, before_reveal=True)
        else:
            hint = "space show the answer · u undo · q quit · ? help"
            while True:
                key = self.read_key(hint)
                if key in (" ", ENTER):
                    break
                self.common_key(key, hint, before_reveal=True)
        view.revealed = True
        self.draw(view)
        allowed = self.allowed_grades(view)
        hint = f"{allowed[0]}-{allowed[-1]} grade · s source · u undo · q quit · ? help"
        while True:
            key = self.read_key(hint)
            if len(key) == 1 and key in "012345":
                grade = sm2.Grade(int(key))
                if grade in allowed:
                    break
                if view.choice == content.answer_index:  # type: ignore[union-attr]
                    self.complain("Your pick was right: grade 3, 4 or 5.", hint)
                else:
                    self.complain("Your pick was wrong, a failed recall: grade 0, 1 or 2.", hint)
                continue
            if key.lower() == "s":
                view.show_source = True
                self.draw(view)
                continue
            if key in (" ", ENTER):
                self.complain(f"Enter does not grade: press a grade from {allowed[0]} to {allowed[-1]}.", hint)
                continue
            self.common_key(key, hint, before_reveal=False)
        self.answer(entry, grade, shown_at)

    def allowed_grades(self, view: _CardView) -> list[sm2.Grade]:
        content = view.entry.card.card.content
        if isinstance(content, Vignette):
            right = view.choice == content.answer_index
            return [g for g in sm2.Grade if g.passed == right]
        return list(sm2.Grade)

    def read_key(self, hint: str) -> str:
        self.prompt(hint)
        key = self.keys.read()
        if key == INTERRUPT:
            self.line()
            raise _End(interrupted=True)
        if key == EOF:
            self.line()
            raise _End(interrupted=False)
        return key

    def prompt(self, hint: str) -> None:
        if self.screen:
            self.write(_ERASE_LINE + self.style.dim(hint))
        else:
            self.line(self.style.dim(hint))

    def notify(self, notice: str) -> None:
        """Show a notice below the card until the next key (redrawn on a terminal)."""
        if self.screen and self.view is not None:
            self.view.notice = notice
            self.draw(self.view)
            self.view.notice = ""
        else:
            self.line(notice)

    def complain(self, message: str, hint: str = "") -> None:
        self.notify(self.style.yellow(message))

    def common_key(self, key: str, hint: str, *, before_reveal: bool) -> None:
        """Keys that mean the same on both sides of a card: u, q, ?, and wrong ones."""
        if key in ("q", "Q"):
            self.line()
            raise _End(interrupted=False)
        if key in ("u", "U"):
            self.undo()
            return
        if key == "?":
            self.help()
            return
        if before_reveal and len(key) == 1 and key in "012345":
            self.complain("Look at the answer before grading.", hint)
            return
        if before_reveal and key.lower() == "s":
            self.complain("The source is shown with the answer.", hint)
            return
        if key == " " or key == ENTER:
            shown = "Enter" if key == ENTER else "Space"
        else:
            shown = repr(key) if key.isprintable() and len(key) == 1 else "That key"
        self.complain(f"{shown} does nothing here (? for help).", hint)

    def help(self) -> None:
        st = self.style
        rows = [
            ("space, Enter", "show the answer (never grades)"),
            ("A-E", "pick an answer of a case"),
            ("0-5", "grade your recall, once the answer is shown:"),
            ("", "0-2 failed (the card comes back tomorrow),"),
            ("", "3-5 recalled; below 4 it also comes back later today"),
            ("s", "show the passage of the article the card comes from"),
            ("u", "undo the last answer and see that card again"),
            ("q, Ctrl-C", "end the session; every answer so far is saved"),
        ]
        self.notify("\n".join(f"  {st.key(key.ljust(12))} {meaning}" for key, meaning in rows))

    # -- answering ------------------------------------------------------------------

    def instant(self) -> datetime:
        return self.now + timedelta(seconds=clock.elapsed() - self.started)

    def state_of(self, card: StoredCard) -> sm2.CardState:
        return self.states.get(card.pk, card.state)

    def answer(self, entry: Entry[StoredCard], grade: sm2.Grade, shown_at: float) -> None:
        card = entry.card
        duration_ms = int((clock.elapsed() - shown_at) * 1000)
        review = self.store.record(card.pk, grade, self.instant(), self.today, duration_ms)
        # Committed: only now acknowledge it and move on.
        self.answers.append(_Answered(review, entry))
        self.states[card.pk] = review.after
        self.queue.answer(grade)
        self.status = self.acknowledgement(review)
        if self.screen:
            self.write(_ERASE_LINE + self.status + "\n")
        else:
            self.line(self.status)

    def acknowledgement(self, review: Review) -> str:
        st = self.style
        after = review.after
        due = after.due if after.due is not None else self.today
        if review.kind == "repeat":
            schedule = f"schedule unchanged, due {_when(due, self.today)}"
        else:
            schedule = f"next review {_when(due, self.today)}"
        again = "; again later today" if review.grade < queue.REPEAT_BELOW else ""
        return st.green("Saved") + f": grade {int(review.grade)}, {schedule}{again}."

    def undo(self) -> None:
        if not self.answers:
            self.complain("Nothing to undo in this session.", "")
            return
        last = self.answers.pop()
        self.store.undo(last.review.id, self.instant())
        # Committed: put the queue back and show the card again.
        self.states[last.entry.card.pk] = last.review.before
        self.queue.undo()
        self.status = self.style.yellow("Undone") + f": grade {int(last.review.grade)} of {last.entry.card.label}; answer it again."
        if not self.screen:
            self.line(self.status)
        raise _Undone()

    # -- drawing ---------------------------------------------------------------------

    def draw(self, view: _CardView) -> None:
        blocks = self.blocks(view)
        if self.screen:
            shown = blocks + [view.notice] if view.notice else blocks
            self.write(_CLEAR + "\n\n".join(shown) + "\n\n")
        else:
            new = blocks[view.blocks_printed :]
            if new:
                self.write("\n\n".join(new) + "\n\n")
        view.blocks_printed = len(blocks)

    def header(self, entry: Entry[StoredCard]) -> str:
        st = self.style
        n, m = self.queue.position
        counts = self.queue.counts()
        left = f"Card {n} of {m}"
        parts = [
            (f"{counts.new} new", st.cyan),
            (f"{counts.review} review", st.green),
            (f"{counts.repeat} repeat", st.red),
        ]
        plain = f"{left}  " + " · ".join(text for text, _ in parts)
        styled = f"{st.bold(left)}  " + st.dim(" · ").join(colour(text) for text, colour in parts)
        title = clean(self.titles.get(entry.card.deck_id, entry.card.deck_id))
        room = self.width - len(plain) - 3
        if room < 12:
            title = ""
        elif terminal.width_of(title) > room:
            title = title[: room - 1] + "…"
        gap = " " * (self.width - len(plain) - terminal.width_of(title))
        top = f"{styled}{gap}{st.dim(title)}" if title else styled
        rule = st.dim("─" * self.width)
        if self.status and self.screen:
            return f"{top}\n{rule}\n{self.status}\n"
        return f"{top}\n{rule}"

    def blocks(self, view: _CardView) -> list[str]:
        st = self.style
        entry = view.entry
        stored = entry.card
        card = stored.card
        content = card.content
        label = {Basic: "Question", Cloze: "Cloze", Vignette: "Case"}[type(content)]
        kind_note = {Kind.NEW: "new card", Kind.REVIEW: "review", Kind.REPEAT: "same-day repeat"}[entry.kind]
        tags = ", ".join(clean(t) for t in card.tags)
        about = st.dim(f"{label} · {kind_note}" + (f" · {tags}" if tags else ""))
        blocks = [self.header(entry) + "\n" + about]
        if isinstance(content, Basic):
            blocks.append(st.bold(self.para(clean(content.front))))
            if view.revealed:
                blocks.append(st.dim("  Answer") + "\n" + self.para(clean(content.back)))
        elif isinstance(content, Cloze):
            text = clean(content.text)
            question = self.para(_cloze(text, stored.ordinal, reveal=False))
            if not view.revealed:
                blocks.append(question)
            else:
                revealed = self.para(_cloze(text, stored.ordinal, reveal=True))
                if self.screen:
                    blocks.append(revealed)
                else:
                    blocks += [question, st.dim("  Answer") + "\n" + revealed]
                if content.extra.strip():
                    blocks.append(st.dim(self.para(clean(content.extra))))
        else:
            blocks.append(self.para(clean(content.stem)))
            blocks.append(st.bold(self.para(clean(content.question))))
            # On a terminal the options get their marks in place; in line
            # mode they are listed again, marked, below the plain list.
            blocks.append(self.option_list(content, view, marked=self.screen and view.revealed))
            if view.revealed:
                if not self.screen:
                    blocks.append(self.option_list(content, view, marked=True))
                blocks.append(self.verdict(content, view))
                blocks.append(self.para(clean(content.explanation)))
        if view.revealed:
            blocks.append(st.dim("  How well did you recall it?") + "\n" + self.grades(view))
            if view.show_source:
                blocks.append(self.source(stored))
        return blocks

    def option_list(self, content: Vignette, view: _CardView, *, marked: bool) -> str:
        st = self.style
        lines = []
        for index, option in enumerate(content.options):
            letter = "ABCDE"[index]
            text = wrap(clean(option), self.width, "     ").lstrip()
            if not marked:
                lines.append(f"  {st.key(letter)}  {text}")
                continue
            right, picked = index == content.answer_index, index == view.choice
            mark = "✓" if right else ("✗" if picked else " ")
            note = ""
            if right and picked:
                note = " ← your answer, right"
            elif right:
                note = " ← right answer"
            elif picked:
                note = " ← your answer"
            colour = st.green if right else (st.red if picked else (lambda s: s))
            lines.append(colour(f"{mark} {letter}  {text}{note}"))
        return "\n".join(lines)

    def verdict(self, content: Vignette, view: _CardView) -> str:
        st = self.style
        right = "ABCDE"[content.answer_index]
        if view.choice == content.answer_index:
            return st.green(st.bold(f"  Right: {right}."))
        return st.red(st.bold(f"  Wrong: you picked {'ABCDE'[view.choice or 0]}; the answer is {right}."))

    def grades(self, view: _CardView) -> str:
        st = self.style
        entry = view.entry
        allowed = self.allowed_grades(view)
        width = max(len(g.meaning) for g in allowed)
        lines = []
        if entry.kind is Kind.REPEAT:
            state = self.state_of(entry.card)
            due = _when(state.due, self.today) if state.due else "as scheduled"
            lines.append(st.dim(f"  Same-day repeat: the grade does not change the schedule (due {due})."))
            for grade in allowed:
                outcome = "again later today" if grade < queue.REPEAT_BELOW else "done for today"
                lines.append(f"  {st.key(str(int(grade)))}  {grade.meaning.ljust(width)}  {st.dim(outcome)}")
            return "\n".join(lines)
        outcomes = sm2.preview(self.state_of(entry.card), self.today)
        for grade in allowed:
            outcome = describe_interval(outcomes[grade].interval)
            if grade < queue.REPEAT_BELOW:
                outcome += ", and again today"
            lines.append(f"  {st.key(str(int(grade)))}  {grade.meaning.ljust(width)}  {st.dim(outcome)}")
        return "\n".join(lines)

    def source(self, stored: StoredCard) -> str:
        st = self.style
        title, document = self.store.source_document(stored.deck_id)
        excerpt = clean(stored.card.source)
        passage = source_passage(clean(document), excerpt)
        heading = st.dim(f"  Source: {clean(title)}")
        if passage is None:
            return heading + "\n" + self.para(marked(excerpt))
        before, found, after = passage
        return heading + "\n" + self.para(before + marked(found) + after)

    # -- the end ----------------------------------------------------------------------

    def summary(self, interrupted: bool) -> None:
        st, o = self.style, self.options
        if self.screen:
            self.write(_ERASE_LINE)
        answers = [a.review for a in self.answers]
        if not answers:
            self.line("No cards answered in this session.")
        else:
            cards = len({r.card_pk for r in answers})
            new = sum(r.kind == "new" for r in answers)
            reviews = sum(r.kind == "review" for r in answers)
            repeats = sum(r.kind == "repeat" for r in answers)
            first = [r for r in answers if r.kind != "repeat"]
            recalled = sum(r.grade.passed for r in first)
            elapsed = describe_duration(clock.elapsed() - self.started)
            self.line(st.bold("Session over.") if self.queue.current is None else st.bold("Session ended."))
            self.line(
                f"  Studied {cards} card{_s(cards)} in {elapsed}: {new} new learned, "
                f"{reviews} review{_s(reviews)}, {repeats} same-day repeat{_s(repeats)}."
            )
            if first:
                self.line(f"  Recalled (grade 3 or more): {recalled} of {len(first)}, {round(100 * recalled / len(first))}%.")
        left = self.queue.counts().total
        if left:
            self.line(f"  {left} card{_s(left)} left for today; run osteo-learn review again to go on.")
        tomorrow = self.store.count_due(self.today + timedelta(days=1), o.deck_ids, o.tags)
        week = self.store.count_due(self.today + timedelta(days=7), o.deck_ids, o.tags)
        self.line(f"  Due tomorrow: {tomorrow} card{_s(tomorrow)}; within a week: {week}.")
        if interrupted:
            self.line(st.dim("  Interrupted; every answer above is saved."))


def _cloze(text: str, ordinal: int, *, reveal: bool) -> str:
    from osteo_learn import cloze

    return cloze.render(text, ordinal, reveal=reveal, mark=marked)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _when(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return f"today ({day.isoformat()})"
    if days == 1:
        return f"tomorrow ({day.isoformat()})"
    if days < 0:
        return f"{day.isoformat()} ({-days} days ago)"
    return f"in {describe_interval(days)} ({day.isoformat()})"
