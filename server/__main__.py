"""``python -m server`` is the ``yongdon`` command."""

from .cli import main

main()
