"""The machine, read in one place: the time (``clock``), where things live (``paths``), scratch folders (``scratch``).

``clock`` is the only module that reads the current time; commands read it
once and pass it down. ``paths`` is the only one that knows where the
bundled decks and the student's database are, and whether two paths name
one file. ``scratch`` makes the hidden folders a new database or a package
is built in beside its target, and removes those a killed process left.

May import: :mod:`osteo_learn.core` and :mod:`osteo_learn.errors`.
"""
