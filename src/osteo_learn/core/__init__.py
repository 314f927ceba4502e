"""The pure core: what a card is, what a deck file says, how SM-2 schedules, what a day's queue holds.

``cards`` and ``cloze`` (the cards as plain data), ``deck`` (parsing and
validating a deck file, every problem with its place), ``sm2`` (the
scheduler: state, grade and day in, next state out), ``history`` (which of
a card's answers, from the desk and from Anki, schedule it), ``queue`` (which cards
a session shows, in what order), ``settings`` (the student's settings, their
defaults and checks), ``days`` (what a study day is) and ``text`` (text made
safe to show).

May import: the standard library and :mod:`osteo_learn.errors` only. Never
a clock, a database, a terminal, click or genanki: everything here is a
function of its arguments, so it is tested on plain data.
"""
