"""The pure core: what a card is, what a deck file says, how SM-2 schedules, what a day's queue holds.

``cards`` and ``cloze`` (the cards as plain data), ``deck`` (validating a
deck file, every problem with its place) with ``deck_file`` (reading,
decoding and parsing it as TOML, with located errors), ``limits`` (every
bound on what a deck may hold), ``files`` (reading a file the student named:
regular files only, never blocking, within a cap), ``sm2`` (the scheduler:
state, grade and day in, next state out), ``history`` (which of a card's
answers, from the desk and from Anki, schedule it), ``guid`` (a card's
note GUID in Anki), ``queue`` (which cards a session
shows, in what order), ``settings`` (the student's settings, their defaults
and checks), ``days`` (what a study day is, and the days supported),
``text`` (text made safe to show) and ``lint`` (item-writing warnings).

May import: the standard library and :mod:`osteo_learn.errors` only. Never
a clock, a database, a terminal, click or genanki: everything here is a
function of its arguments (and of the files a deck names, read through
``files``), so it is tested on plain data.
"""
