"""The Anki side: the note types, the export to an ``.apkg``, SM-2 progress in Anki's terms, and Anki's packages read back.

``models`` (the note types and deck ids, constants chosen once), ``notes``
(a card as an Anki note: GUID, fields, tags), ``collection`` (the Anki
collection inside a package), ``export`` (the package file, written
safely, and what it holds) and ``progress`` (how SM-2 maps onto Anki's
scheduling); ``package_reader`` (a package Anki wrote, opened, with
``protobuf`` for its few protobuf messages), ``import_reviews`` (what the
rows of Anki's review log mean, and the answers merged) and ``onto`` (the
phone's collection written back with the desk's schedule). genanki is
imported only when an export runs.

May import: :mod:`osteo_learn.store`, :mod:`osteo_learn.system`,
:mod:`osteo_learn.core` and :mod:`osteo_learn.errors`; never the terminal
or the commands.
"""
