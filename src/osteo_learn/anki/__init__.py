"""The Anki side: the note types, the export to an ``.apkg``, and SM-2 progress in Anki's terms.

``models`` (the note types and deck ids, constants chosen once), ``notes``
(a card as an Anki note: GUID, fields, tags), ``collection`` (the Anki
collection inside a package), ``export`` (the package file, written
safely, and what it holds) and ``progress`` (how SM-2 maps onto Anki's
scheduling). genanki is imported only when an export runs.

May import: :mod:`osteo_learn.store`, :mod:`osteo_learn.system`,
:mod:`osteo_learn.core` and :mod:`osteo_learn.errors`; never the terminal
or the commands.
"""
