"""The command line: thin commands over the core."""

import click

from osteo_learn import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="osteo-learn")
def cli() -> None:
    """Study one medical article with spaced repetition in the terminal."""


def main() -> None:
    cli()
