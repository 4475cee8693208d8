"""`python -m crawler` is the same as the `newsarchive` command."""

from crawler.cli import main

main()
