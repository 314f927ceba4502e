"""How a card looks on the review screen: text only, no keys, no database, no clock.

A card is drawn as blocks of text separated by blank lines. On a terminal
the whole card is redrawn at each step (question, answer, source); in line
mode (a pipe, a script) only the blocks not yet printed are written, so a
transcript reads top to bottom. Text from deck files is cleaned of control
characters (:func:`osteo_learn.core.text.clean`) before it is wrapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from osteo_learn.core import cloze, sm2
from osteo_learn.core.cards import Basic, Cloze, Vignette
from osteo_learn.core.queue import REPEAT_BELOW, Counts, Entry, Kind
from osteo_learn.core.text import clean, marked
from osteo_learn.store.rows import StoredCard
from osteo_learn.terminal.layout import width_of, wrap
from osteo_learn.terminal.style import Style


def describe_interval(days: int) -> str:
    """An interval as the review screen shows it: days, then months, then years."""
    if days == 1:
        return "1 day"
    if days < 60:
        return f"{days} days"
    if days < 365:
        return f"{days / 30.4:.1f} months"
    return f"{days / 365:.1f} years"


def when(day: date, today: date) -> str:
    """A due date as the screen says it: today, tomorrow, in 6 days (with the date)."""
    days = (day - today).days
    if days == 0:
        return f"today ({day.isoformat()})"
    if days == 1:
        return f"tomorrow ({day.isoformat()})"
    if days < 0:
        return f"{day.isoformat()} ({-days} days ago)"
    return f"in {describe_interval(days)} ({day.isoformat()})"


def source_passage(document: str, excerpt: str) -> tuple[str, str, str] | None:
    """The paragraph of ``document`` holding ``excerpt``, split as (before, excerpt, after).

    Whitespace may differ between the two (as the deck check allows).
    Paragraphs are separated by blank lines, or by line breaks in a document
    without blank lines. ``None`` when the excerpt is not found.
    """
    words = excerpt.split()
    if not words:
        return None
    found = _find_spaced(document, words)
    if found is None:
        return None
    found_start, found_end = found
    separator = "\n\n" if "\n\n" in document.strip() else "\n"
    start = document.rfind(separator, 0, found_start)
    start = 0 if start < 0 else start + len(separator)
    end = document.find(separator, found_end)
    end = len(document) if end < 0 else end

    def flat(text: str) -> str:
        return re.sub(r"\s+", " ", text) if separator == "\n\n" else text

    before = flat(document[start:found_start])
    after = flat(document[found_end:end])
    return before.lstrip(), flat(document[found_start:found_end]), after.rstrip()


def _find_spaced(document: str, words: list[str]) -> tuple[int, int] | None:
    """Where ``words`` first stand in ``document`` one after another, with any
    whitespace between them (as ``re.search(r"\\s+".join(words))`` finds them),
    in time linear in the document: found in its words joined by single
    spaces, then counted back to its own positions."""
    flat = " ".join(document.split())
    at = flat.find(" ".join(words))
    if at < 0:
        return None
    stop = at + len(" ".join(words))
    first, last = flat.count(" ", 0, at), flat.count(" ", 0, stop)
    # Where the first and last words of the match begin, in flat and in the document.
    first_flat, last_flat = flat.rfind(" ", 0, at) + 1, flat.rfind(" ", 0, stop) + 1
    runs = re.finditer(r"\S+", document)
    for _ in range(first):
        next(runs)
    first_run = next(runs).start()
    last_run = first_run
    for _ in range(last - first):
        last_run = next(runs).start()
    return first_run + (at - first_flat), last_run + (stop - last_flat)


@dataclass
class CardView:
    """What is on screen for the current card: how far it was shown, and what was picked."""

    entry: Entry[StoredCard]
    revealed: bool = False
    # The option picked, by its index in the deck file (not its letter).
    choice: int | None = None
    show_source: bool = False
    blocks_printed: int = 0
    # Shown once, below the card, until the next key: a complaint or the help.
    notice: str = ""
    # A vignette's options in the order shown (indexes in the deck file), A first.
    order: tuple[int, ...] = ()

    def letter(self, index: int) -> str:
        """The letter option ``index`` (as in the deck file) is shown with."""
        return "ABCDE"[self.order.index(index) if self.order else index]

    def option_at(self, letter: str) -> int:
        """The option (its index in the deck file) shown with ``letter``."""
        position = "ABCDE".index(letter)
        return self.order[position] if self.order else position


def allowed_grades(view: CardView) -> list[sm2.Grade]:
    """Grades 0-5; after a vignette pick only 0-2 (wrong: a failed recall) or 3-5 (right)."""
    content = view.entry.card.card.content
    if isinstance(content, Vignette):
        right = view.choice == content.answer_index
        return [g for g in sm2.Grade if g.passed == right]
    return list(sm2.Grade)


class CardScreen:
    """Draws cards for a terminal ``width`` columns wide (``screen``) or for line mode."""

    def __init__(self, style: Style, width: int, *, screen: bool, today: date):
        self.style = style
        self.width = width
        self.screen = screen
        self.today = today

    def para(self, text: str, indent: str = "  ") -> str:
        """Text wrapped to the width, with highlights styled."""
        return self.style.marks(wrap(text, self.width, indent))

    def header(self, position: tuple[int, int], counts: Counts, title: str, status: str = "") -> str:
        """Progress, cards left by kind and the deck title; then the last answer's acknowledgement.

        On one line when it fits, the title dropped first; else the counts
        go on a line of their own, wrapped between counts, never inside one.
        """
        st = self.style
        n, m = position
        left = f"Card {n} of {m}"
        parts = [
            (f"{counts.new} new", st.cyan),
            (f"{counts.review} review", st.green),
            (f"{counts.repeat} repeat", st.red),
        ]
        plain = f"{left}  " + " · ".join(text for text, _ in parts)
        styled = f"{st.bold(left)}  " + st.dim(" · ").join(colour(text) for text, colour in parts)
        title = clean(title)
        room = self.width - len(plain) - 3
        if len(plain) > self.width:
            lines, line, used = [st.bold(left)], "", 0
            for text, colour in parts:
                size = len(text) + (3 if line else 0)
                if line and used + size > self.width:
                    lines.append(line)
                    line, used = "", 0
                    size = len(text)
                line += (st.dim(" · ") if line else "") + colour(text)
                used += size
            top = "\n".join([*lines, line])
        else:
            if room < 12:
                title = ""
            elif width_of(title) > room:
                title = _shorten(title, room)
                if len(title.split()) < 2:
                    title = ""  # one word and an ellipsis says nothing
            gap = " " * (self.width - len(plain) - width_of(title))
            top = f"{styled}{gap}{st.dim(title)}" if title else styled
        rule = st.dim("─" * self.width)
        if status:
            return f"{top}\n{rule}\n{status}\n"
        return f"{top}\n{rule}"

    def blocks(
        self,
        view: CardView,
        state: sm2.CardState,
        source: tuple[str, str] | None = None,
        *,
        held: list[str] = (),
    ) -> list[str]:
        """The card as blocks of text (separated by blank lines), below its header.

        ``state`` is the card's current schedule (for the grade preview);
        ``source`` the title and text of its source document, to show the
        passage; ``held`` what card control says of it (flagged, and why).
        """
        st = self.style
        entry = view.entry
        stored = entry.card
        card = stored.card
        content = card.content
        label = {Basic: "Question", Cloze: "Cloze", Vignette: "Case"}[type(content)]
        kind_note = {Kind.NEW: "new card", Kind.REVIEW: "review", Kind.REPEAT: "same-day repeat"}[entry.kind]
        tags = ", ".join(clean(t) for t in card.tags)
        if entry.kind is Kind.REVIEW and state.due is not None and state.due > self.today:
            kind_note = f"review ahead, due {when(state.due, self.today)}"
        about = st.dim(wrap(f"{label} · {kind_note}" + (f" · {tags}" if tags else ""), self.width))
        blocks = [about + "".join("\n" + st.yellow(wrap(clean(text), self.width, "  ")) for text in held)]
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
            blocks.append(st.dim("  How well did you recall it?") + "\n" + self.grades(view, state))
            if view.show_source and source is not None:
                blocks.append(self.source(stored, *source))
        return blocks

    def option_list(self, content: Vignette, view: CardView, *, marked: bool) -> str:
        st = self.style
        lines = []
        order = view.order or tuple(range(len(content.options)))
        for position, index in enumerate(order):
            option = content.options[index]
            letter = "ABCDE"[position]
            text = wrap(clean(option), self.width, "     ").lstrip()
            if not marked:
                lines.append(f"  {st.key(letter)}  {text}")
                continue
            right, picked = index == content.answer_index, index == view.choice
            mark = "✓" if right else ("✗" if picked else " ")
            note = ""
            if right and picked:
                note = "← your answer, right"
            elif right:
                note = "← right answer"
            elif picked:
                note = "← your answer"
            colour = st.green if right else (st.red if picked else (lambda s: s))
            shown = wrap(f"{clean(option)} {note}".rstrip(), self.width, "     ").lstrip()
            lines.append(colour(f"{mark} {letter}  {shown}"))
        return "\n".join(lines)

    def verdict(self, content: Vignette, view: CardView) -> str:
        st = self.style
        right = view.letter(content.answer_index)
        if view.choice == content.answer_index:
            return st.green(st.bold(f"  Right: {right}."))
        return st.red(st.bold(f"  Wrong: you picked {view.letter(view.choice or 0)}; the answer is {right}."))

    def grades(self, view: CardView, state: sm2.CardState) -> str:
        """Each grade allowed, its meaning, and what it would do to the schedule.

        A table when it fits the width; else each grade's outcome goes on
        the line below its meaning, both wrapped between words.
        """
        st = self.style
        entry = view.entry
        allowed = allowed_grades(view)
        lines = []
        if entry.kind is Kind.REPEAT:
            due = when(state.due, self.today) if state.due else "as scheduled"
            lines.append(st.dim(wrap(f"Same-day repeat: the grade does not change the schedule (due {due}).", self.width, "  ")))
            outcomes = {g: "again later today" if g < REPEAT_BELOW else "done for today" for g in allowed}
        else:
            preview = sm2.preview(state, self.today)
            outcomes = {}
            for grade in allowed:
                outcomes[grade] = describe_interval(preview[grade].interval)
                if grade < REPEAT_BELOW:
                    outcomes[grade] += ", and again today"
        meaning_width = max(len(g.meaning) for g in allowed)
        outcome_width = max(len(o) for o in outcomes.values())
        table = 2 + 1 + 2 + meaning_width + 2 + outcome_width <= self.width
        for grade in allowed:
            key = st.key(str(int(grade)))
            if table:
                lines.append(f"  {key}  {grade.meaning.ljust(meaning_width)}  {st.dim(outcomes[grade])}")
            else:
                meaning = wrap(grade.meaning, self.width, "     ").lstrip()
                lines.append(f"  {key}  {meaning}")
                lines.append(st.dim(wrap("→ " + outcomes[grade], self.width, "     ")))
        return "\n".join(lines)

    def source(self, stored: StoredCard, title: str, document: str) -> str:
        """The paragraph of the source document behind the card, its excerpt highlighted."""
        st = self.style
        excerpt = clean(stored.card.source)
        passage = source_passage(clean(document), excerpt)
        heading = st.dim(wrap(f"Source: {clean(title)}", self.width, "  "))
        if passage is None:
            return heading + "\n" + self.para(marked(excerpt))
        before, found, after = passage
        return heading + "\n" + self.para(before + marked(found) + after)


def _shorten(text: str, room: int) -> str:
    """``text`` cut to ``room`` columns at a space, with an ellipsis."""
    words, out = text.split(), ""
    for word in words:
        candidate = f"{out} {word}" if out else word
        if width_of(candidate) + 1 > room:
            break
        out = candidate
    return (out + "…") if out else ""


def _cloze(text: str, ordinal: int, *, reveal: bool) -> str:
    return cloze.render(text, ordinal, reveal=reveal, mark=marked)
