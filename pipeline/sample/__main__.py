"""Command line: `python -m pipeline.sample --out DIR` (see pipeline.sample.cli)."""

from pipeline.sample.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
