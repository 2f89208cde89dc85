"""Hostile input for the redline (issue 14): a partner's text cannot make ``diff`` quadratic.

A partner who rewrites a long position from a small vocabulary (the hard case for a diff: every
word recurs everywhere) once made ``standpunt diff`` take 30 seconds for 15,000 words, in the
main process, without limits. The comparison now counts its work; these tests count it at two
sizes through the real command, and hold it linear and inside a bound in the tokens compared.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import CONFIG, EVIDENCE
from standpunt.cli import main
from standpunt.versions import redline as redline_module
from standpunt.versions.redline import compare

pytestmark = pytest.mark.usefixtures("isolated_git")  # see conftest.py

VOCABULARY = ["zorg", "markt", "5.000", "de", "het", "en", "werk", "beleid", "niet", "of", "."]


def rewritten(words: int, seed: int) -> str:
    """``words`` words drawn from a small vocabulary, in paragraphs of 60 words."""
    pick = random.Random(seed).choice
    chosen = [pick(VOCABULARY) for _ in range(words)]
    return "\n\n".join(" ".join(chosen[i : i + 60]) for i in range(0, words, 60))


def position(body: str, asks: list[str]) -> str:
    lines = ["title: Zorg", "lang: nl", "sections:", "  - title: Deel", "    body: |"]
    lines += [f"      {line}" if line else "" for line in body.split("\n")]
    lines += ["recommendations:", *(f"  - {ask}" for ask in asks)]
    return "\n".join(lines) + "\n"


def git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def diff_work(tmp_path: Path, name: str, old: str, new: str) -> tuple[int, str]:
    """``standpunt diff`` from ``old`` to ``new`` (committed, then in the working tree): the
    work its comparison counted, and what it printed."""
    root = tmp_path / name
    (root / "positions").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "standpunt.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "evidence/refs.yaml").write_text(EVIDENCE, encoding="utf-8")
    file = root / "positions/zorg.yaml"
    file.write_text(old, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "old")
    file.write_text(new, encoding="utf-8")

    counted: list[int] = []
    real = redline_module.compare

    def counting(*args: Any, **kwargs: Any) -> Any:
        made = real(*args, **kwargs)
        counted.append(made.work)
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redline_module, "compare", counting)
        patch.setattr("standpunt.build.diff.compare", counting)
        result = CliRunner().invoke(main, ["-C", str(root), "diff", "zorg", "--format", "text"])
    assert result.exit_code == 0, result.output
    (work,) = counted
    return work, result.output


def test_hostile_linear_redline_size(tmp_path: Path) -> None:
    """15,000 and 30,000 words rewritten throughout: twice the words, at most about twice the
    work, inside a bound of 60 steps a token; the reader is told the text is compared by
    paragraphs."""
    work = {}
    for words in (15_000, 30_000):
        old = position(rewritten(words, 1), ["Een vraag."])
        new = position(rewritten(words, 2), ["Een vraag."])
        work[words], output = diff_work(tmp_path, f"w{words}", old, new)
        assert "te sterk gewijzigd om woord voor woord te vergelijken" in output
        assert work[words] <= 60 * 2 * words, work
    assert work[30_000] <= 2.2 * work[15_000], work
    # The old comparison (difflib's SequenceMatcher) needed far more than this bound for the
    # same texts: it is what made 15,000 words take 30 seconds.


def test_hostile_linear_redline_many_asks() -> None:
    """Thousands of asks, every one rewritten: pairing similar asks stays within a budget linear
    in their words (it was a comparison of every old ask with every new one)."""
    work = {}
    for count in (1_000, 2_000):
        olds = [rewritten(8, n) for n in range(count)]
        news = [rewritten(8, n + 10 * count) for n in range(count)]
        made = compare({"recommendations": olds}, {"recommendations": news})
        assert made.counts.asks_changed + made.counts.asks_added >= count // 2
        work[count] = made.work
        assert made.work <= 60 * 2 * 9 * count, work
    assert work[2_000] <= 2.2 * work[1_000], work
