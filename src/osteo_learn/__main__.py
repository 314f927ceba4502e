"""Allow ``python -m osteo_learn``."""

from osteo_learn.cli import main

main()
