"""``python -m datajoint``: the ``dj`` command."""

from .cli import cli

if __name__ == "__main__":
    cli()
