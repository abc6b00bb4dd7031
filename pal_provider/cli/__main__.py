"""`python -m pal_provider.cli`: the `palfleet` command."""

from pal_provider.cli import main

main()
