"""Progress lines: shown on a terminal, silent in CI and logs."""

import io

import pytest

from pipeline.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    monkeypatch.delenv("CI", raising=False)
    p = Progress("ingest", 2)
    p.step("calls", 1000)
    p.step("tickets", 500)
    out = term.getvalue()
    assert "ingest: 1/2 calls" in out and "1,000 rows" in out
    assert "ingest: 2/2 tickets" in out and "1,500 rows" in out and out.endswith("\n")


@pytest.mark.parametrize("ci,tty", [("true", True), ("", False)])
def test_progress_is_silent_in_ci_and_logs(monkeypatch: pytest.MonkeyPatch, ci: str,
                                           tty: bool) -> None:
    stream = Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setenv("CI", ci)
    Progress("ingest", 1).step("calls", 10)
    assert stream.getvalue() == ""


def test_steps_without_rows_show_time_only(monkeypatch: pytest.MonkeyPatch) -> None:
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    monkeypatch.delenv("CI", raising=False)
    Progress("run", 1).step("score")
    out = term.getvalue()
    assert "run: 1/1 score" in out and "rows" not in out and "s left" in out
