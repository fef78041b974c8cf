"""``python -m geoverify``."""

from geoverify.cli.main import run

run()
