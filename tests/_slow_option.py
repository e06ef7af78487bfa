"""pytest plugin (loaded from pyproject): tests marked `slow` run only with --runslow."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the tests marked slow (e.g. the long kill -9 loop)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow") or os.environ.get("CRASH_SOAK"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (or CRASH_SOAK=1)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
