"""`python -m optimizer` runs the `cpo` command."""

from .cli import main

main()
