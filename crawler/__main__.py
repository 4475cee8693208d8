"""`python -m crawler` is the same as the `newsarchive` command."""

from crawler.cli import main

if __name__ == "__main__":  # extraction workers are spawned and re-import the main module: no side effects then
    main()
