"""``python -m api.cli``: the same as the ``tandem`` command."""

from api.cli import app

app()
