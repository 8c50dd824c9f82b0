"""`python -m edgerec` is the `edgerec` command."""

from edgerec.cli import main

main()
