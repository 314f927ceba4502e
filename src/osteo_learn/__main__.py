"""Allow ``python -m osteo_learn``."""

from osteo_learn.commands.cli import main

main()
