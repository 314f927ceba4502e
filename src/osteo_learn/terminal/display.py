"""How the review session meets the terminal: what it prints, draws and reads.

A mixin of :class:`osteo_learn.terminal.session.Session`. On a terminal
every prompt redraws the whole frame (:class:`~osteo_learn.terminal.screen.Screen`):
the header with the last acknowledgement, the card, a notice (a complaint,
the help, a flag's note being typed) and the key hints; keys that scroll,
a resize and Ctrl-Z are dealt with here and never reach the session. In a
pipe the card is printed block by block as it is revealed, so the
transcript reads top to bottom, and each hint is a line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from osteo_learn.core import queue

from osteo_learn.terminal import keys as key_module
from osteo_learn.terminal import plans, summary
from osteo_learn.terminal.card_screen import CardScreen
from osteo_learn.terminal.keys import DOWN, END, EOF, HOME, INTERRUPT, PAGE_DOWN, PAGE_UP, RESIZE, SUSPEND, UP
from osteo_learn.terminal.layout import wrap
from osteo_learn.terminal.screen import Hint, fit_hints, wrap_words
from osteo_learn.store.rows import StoredCard


class End(Exception):
    """The student ended the session (``q``, Ctrl-C or end of input)."""

    def __init__(self, interrupted: bool):
        self.interrupted = interrupted


class Display:
    """Printing, drawing and reading keys for the review session (a mixin)."""

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    # -- the session ------------------------------------------------------------

    def fit(self, text: str, indent: str = "", hanging: str | None = None) -> str:
        """Text to print: wrapped between words on a terminal, as it is in a pipe."""
        if not self.tty:
            return indent + text
        return wrap_words(text, self.width, indent, hanging if hanging is not None else indent + "  " * bool(indent))

    def hints(self, primary: Hint, *more: Hint) -> list[Hint]:
        editable = [Hint("o", "edit", 8)] if self.editable() else []
        return [
            primary,
            *more,
            Hint("u", "undo", 3),
            Hint("-", "bury", 6),
            Hint("!", "suspend", 7),
            Hint("f", "flag", 5),
            *editable,
            Hint("q", "quit", 2),
            Hint("?", "help", 1),
        ]

    def editable(self) -> bool:
        entry = self.queue.current
        return entry is not None and entry.card.deck_id not in self.bundled

    def read_key(self, hints: list[Hint]) -> str:
        """The next key that is not handled here (resizes, Ctrl-Z, scrolling)."""
        while True:
            self.hint = fit_hints(hints, self.width, self.style)
            self.prompt()
            key = self.keys.read()
            shown, self.notice = self.notice, ""
            if key in (INTERRUPT, EOF):
                raise End(interrupted=key == INTERRUPT)
            if key == RESIZE:
                self.notice = shown  # not a key: what was on screen stays
                self.resized()
                continue
            if key == SUSPEND:
                self.notice = shown
                self.suspend()
                continue
            if self.fullscreen and self.scrolled(key):
                self.notice = shown  # scrolling keeps the help on screen
                continue
            return key

    def scrolled(self, key: str) -> bool:
        page = max(1, self.screen.height - 8)
        steps = {**dict.fromkeys(UP, -1), **dict.fromkeys(DOWN, 1), "k": -1, "j": 1, "K": -1, "J": 1}
        steps.update({**dict.fromkeys(PAGE_UP, -page), **dict.fromkeys(PAGE_DOWN, page)})
        steps.update({**dict.fromkeys(HOME, -(10**6)), **dict.fromkeys(END, 10**6)})
        if key not in steps:
            return False
        self.screen.scroll_by(steps[key])
        return True

    def resized(self) -> None:
        if self.fullscreen:
            self.screen.measure()
            self.width = self.screen.width

    def suspend(self) -> None:
        """Ctrl-Z: stop with the terminal as it was; on ``fg``, the screen comes back."""
        self.hand_over_terminal(lambda: key_module.stop(self.keys))

    def hand_over_terminal(self, job: Callable[[], None]) -> None:
        """Leave the screen and give the terminal back for ``job`` (a stop, an editor), then return."""
        was_active = self.screen.active
        self.screen.leave()
        self.keys.pause()
        try:
            job()
        finally:
            self.keys.resume()
            if was_active:
                self.screen.enter()
            self.resized()

    def prompt(self) -> None:
        if self.fullscreen:
            self.draw()
        else:
            if self.notice:
                self.line(self.notice() if callable(self.notice) else self.notice)
                self.notice = ""
            self.line(self.hint)

    def prompt_note(self, ask: str, text: str) -> None:
        """The flag note being typed, below the card."""
        self.notice = self.style.yellow(wrap(ask, self.width)) + "\n" + wrap(text + "█", self.width, "  ")
        self.hint = fit_hints([Hint("Enter", "flag", 0), Hint("Esc", "cancel", 1)], self.width, self.style)
        self.draw()
        self.notice = ""

    def say(self, text: str) -> None:
        """A line about what was just done: the status line on a terminal, printed elsewhere."""
        if self.fullscreen:
            self.status = text  # wrapped when drawn, at the width of the moment
        else:
            self.line(self.fit(text))

    def complain(self, message: str) -> None:
        text = self.style.yellow(self.fit(message))
        if self.fullscreen:
            self.notice = lambda: self.style.yellow(self.fit(message))
        else:
            self.line(text)

    def held(self, card: StoredCard) -> list[str]:
        fresh = self.store.cards.get(card.pk)
        if fresh.flagged:
            return ["Flagged" + (f": {fresh.flag_note}" if fresh.flag_note else "") + " (f takes the flag off)"]
        return []

    def parts(self) -> tuple[str, list[str]]:
        """The header (with the status on a terminal) and the card's blocks."""
        view = self.view
        assert view is not None
        stored = view.entry.card
        painter = CardScreen(self.style, self.width, screen=self.fullscreen, today=self.today)
        header = painter.header(
            self.queue.position,
            self.queue.counts(),
            self.titles.get(stored.deck_id, stored.deck_id),
            self.fit(self.status) if self.fullscreen and self.status else "",
        )
        source = self.store.decks.source_document(stored.deck_id) if view.show_source else None
        blocks = painter.blocks(view, self.state_of(stored), source, held=self.held(stored))
        return header, blocks

    def show(self) -> None:
        """Line mode: print what is new of the card. (A terminal redraws at the next prompt.)"""
        if self.fullscreen or self.view is None:
            return
        header, blocks = self.parts()
        blocks = [header + "\n" + blocks[0], *blocks[1:]]
        new = blocks[self.view.blocks_printed :]
        if new:
            self.write("\n\n".join(new) + "\n\n")
        self.view.blocks_printed = len(blocks)

    def draw(self) -> None:
        """A terminal: the whole frame, the header pinned, the body scrolled, the hints below."""
        if self.view is None:
            return
        header, blocks = self.parts()
        body = "\n\n".join(blocks).split("\n")
        text = self.notice() if callable(self.notice) else self.notice
        notice = text.split("\n") if text else []
        self.screen.draw(header.split("\n"), body + [""], notice, self.hint, self.style)

    def opening(self) -> str:
        """What the first card's screen says of the session as a whole."""
        # (In a transcript the notices were printed first, before the plan.)
        said = list(self.notices) if self.fullscreen else []
        if self.options.ahead is not None:
            until = self.today + timedelta(days=self.options.ahead)
            said.append(
                f"Studying ahead: reviews due by {until.isoformat()}. SM-2 takes an early review as if on time: "
                "the next interval follows the scheduled one, from today."
            )
        text = "\n".join(said)
        if text and not self.fullscreen:
            self.line(self.fit(text))
            return ""
        return text

    def end(self, interrupted: bool) -> None:
        if not self.fullscreen:
            self.write("\n")
        lines = summary.summary(
            self.scope,
            self.answers,
            self.plan,
            self.queue.counts(),
            finished=self.queue.current is None,
            seconds=self.elapsed() - self.started,
            interrupted=interrupted,
            extra=self.extra,
            leeches=self.leeches,
        )
        for text in lines:
            self.line(self.fit(text.lstrip(" "), indent=" " * (len(text) - len(text.lstrip(" ")))))

    def nothing_to_study(self) -> queue.Plan | None:
        """Say why nothing is due and when the next card is; offer new cards ahead."""
        o = self.options
        assert self.plan is not None
        for text in summary.nothing_due(self.scope, self.plan):
            self.line(self.fit(text))
        if o.custom:
            return None
        remaining = self.store.queue.count_new(*self.scope.filters, today=self.today)
        if not remaining:
            return None
        introduced = self.store.queue.new_introduced(self.today)
        limit_reached = o.new_limit is None and introduced >= self.settings.new_per_day
        if not limit_reached:
            return None
        ahead = min(remaining, self.settings.new_per_day or 10)
        self.line(
            f"Today's new cards are done ({introduced} of {self.settings.new_per_day}); "
            f"{remaining} new card{'' if remaining == 1 else 's'} remain."
        )
        self.write(f"Learn {ahead} more now? [y/N] ")
        key = self.keys.read()
        while key == RESIZE:
            key = self.keys.read()
        if self.keys.single_key:
            self.line(key if key.isprintable() else "")
        if key == INTERRUPT:
            raise End(interrupted=True)
        if key.lower() not in ("y", "yes"):
            self.line(f"Tomorrow, or now with: osteo-learn review --new {ahead}")
            return None
        self.extra = True
        return plans.extra_new_plan(self.store, o, self.today, ahead)

    # -- one card -------------------------------------------------------------------
