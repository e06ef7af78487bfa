"""Command line: `python -m pipeline --help`."""

from pipeline.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
