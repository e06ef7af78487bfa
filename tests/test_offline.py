"""The offline guard itself: a connection attempt to another host fails the test."""

import socket

import pytest


def test_outside_connections_are_refused_by_the_guard() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(AssertionError, match="network access attempted"):
            s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed, never contacted
