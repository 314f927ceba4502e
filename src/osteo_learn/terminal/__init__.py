"""The terminal: the review session, the card and statistics screens, keys in and styled text out.

``session`` runs a day's review, one card at a time; ``card_screen`` and
``stats_screen`` draw (text only, no keys, no database); ``keys`` reads key
presses (or lines from a pipe); ``style`` and ``layout`` colour, measure
and wrap text. Text from decks is cleaned by
:func:`osteo_learn.core.text.clean` before it is drawn, and every byte
printed passes ``gate``, the one gate in front of stdout and stderr.

May import: :mod:`osteo_learn.store`, :mod:`osteo_learn.system`,
:mod:`osteo_learn.core` and :mod:`osteo_learn.errors`; never the Anki side
or the commands.
"""
