"""The machine, read in one place: the time (``clock``) and where things live (``paths``).

``clock`` is the only module that reads the current time; commands read it
once and pass it down. ``paths`` is the only one that knows where the
bundled decks and the student's database are.

May import: :mod:`osteo_learn.core` and :mod:`osteo_learn.errors`.
"""
