"""pytest plugin (loaded from pyproject): the tests run offline, and prove it.

Any attempt to open a network connection other than to this machine fails the test that made it.
"""

from __future__ import annotations

import os
import socket

import pytest

os.environ["GX_ANALYTICS_ENABLED"] = "false"
_real_connect = socket.socket.connect
_LOCAL = ("127.", "::1", "localhost")


def _guarded_connect(self: socket.socket, address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family == socket.AF_UNIX or str(host).startswith(_LOCAL):
        return _real_connect(self, address)
    raise AssertionError(f"network access attempted during tests: {address!r}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
