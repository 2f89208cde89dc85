"""check asks pandoc about the citation style early, in a thread: one pandoc run per style, and
the same verdict as when check_style asks alone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from standpunt.cite import styles
from standpunt.cite.citeproc import resolve_style
from standpunt.errors import StandpuntError


def counting(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every pandoc run of the style module, each held until a second asker is waiting."""
    calls: list[list[str]] = []
    real = styles.run_pandoc
    waiting = threading.Event()
    real_wait = threading.Event.wait

    def wait(self: threading.Event, timeout: float | None = None) -> bool:
        if self is not waiting:  # the other asker waits for pandoc's answer
            waiting.set()
        return real_wait(self, timeout)

    def run(args: list[str], text: str) -> object:
        calls.append(args)
        assert waiting.wait(10)  # the other asker is there before pandoc answers
        return real(args, text)

    monkeypatch.setattr(styles, "run_pandoc", run)
    monkeypatch.setattr(threading.Event, "wait", wait)
    return calls


def test_a_style_asked_early_and_then_checked_runs_pandoc_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apa = resolve_style("apa", tmp_path).path
    style = tmp_path / "house.csl"  # apa with a comment of its own: a hash pandoc was not asked
    style.write_bytes(apa.read_bytes() + f"<!-- {tmp_path} -->\n".encode())
    calls = counting(monkeypatch)
    thread = styles.ask_pandoc_early(style)
    styles.check_style(style, "house.csl", None)
    thread.join()
    assert len(calls) == 1
    assert not styles._asking


def test_a_broken_style_asked_early_is_reported_as_when_asked_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    style = tmp_path / "house.csl"
    style.write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
        b"<info><id>x</id><title>x</title><updated>2020-01-01T00:00:00+00:00</updated></info>"
        + f"<!-- {tmp_path} --><bibliography><layout/></bibliography></style>\n".encode()
    )
    calls = counting(monkeypatch)
    thread = styles.ask_pandoc_early(style)
    with pytest.raises(StandpuntError) as early:
        styles.check_style(style, "house.csl", None)
    thread.join()
    assert len(calls) == 1
    assert early.value.code == "bad-style"
    assert early.value.message == (
        "citation style 'house.csl' cannot be read by pandoc: No citation element present; "
        "download the style again (e.g. from the Zotero style repository) or correct the file"
    )
