"""The commands: thin wrappers that parse arguments, call the layers below and print.

``cli`` is the ``osteo-learn`` group and the one place where errors become
exit codes; ``common`` holds the shared options. Modules beyond ``click``
are imported inside the commands, so ``--help`` and start-up stay fast.

May import every layer: :mod:`osteo_learn.terminal`, :mod:`osteo_learn.anki`,
:mod:`osteo_learn.store`, :mod:`osteo_learn.system`, :mod:`osteo_learn.core`.
"""
