"""``python -m runners_cli``: the same as the ``runners`` command."""

from runners_cli import main

main()
