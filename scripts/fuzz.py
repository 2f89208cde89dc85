#!/usr/bin/env python3
"""Fuzz the YAML loader and the citation finder with atheris (issue 4, "Proof").

Every input is given to both: :func:`standpunt.workspace.load.parse_yaml` reads the bytes as a
position file, and :func:`standpunt.cite.finder.find_citations` reads them, decoded, as a
Markdown field.
Standpunt's own error (:class:`StandpuntError`, located) is the only allowed failure; anything
else raised, and a citation whose place is not its ``@`` or whose key is empty (but for
``@{}``, which pandoc also reads as a citation of the empty id), is a finding: libFuzzer then
stops, prints the traceback and writes the input to a ``crash-…`` file.

Usage::

    python3 -m pip install atheris==3.0.0      # once
    python3 scripts/fuzz.py [-atheris_runs=N] [-max_len=N] [other libFuzzer flags] [CORPUS…]
    python3 scripts/fuzz.py --smoke            # a short, fixed run for CI; exit code 0 if clean

Without ``-atheris_runs`` it runs until stopped (Ctrl-C). The first corpus folder given keeps
the interesting inputs found, so the next run goes on from there; the seeds below (and the demo
workspace's files) are always read as well.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Iterations of the smoke run: a few seconds, the same inputs every time (fixed seed).
SMOKE_RUNS = 1500

SEEDS = [
    b"title: Care\nsections:\n  - title: One\n    body: |\n      See [@smith2021a, p. 4].\n",
    b"- id: doe2019\n  type: report\n  issued: 2019-05\n  page: 1:20\n  ISBN: 0306406152\n",
    b"a: &x [1]\nb: *x\nc: !!python/object/apply:os.system [ls]\n<<: {d: e}\n",
    b"k: 'it''s'\nq: \"caf\\u00e9 \\ud83d\\ude00\"\nf: {a: [b, {c: d}]}\n---\nx: y\n",
    b"Zie [zie @a, pp. 3-5; -@b] en @c [p. 1], `@code` $@math$ info@example.org",
    b"# @heading\n\n> quote @q\n\n- item @i\n\n| @t |\n|---|\n\n^[note @n] [^1]\n\n[^1]: @f\n",
    b"```\n@fenced\n```\n\n::: {#div}\n@in-div\n:::\n\n[link @l](http://x) ![img @m](y)\n",
    b"@{braced key} [@{a{b}c}] (@) example @ex\n\n(@ex) an example\n",
    b"\xef\xbb\xbfk: v\n",
    b"caf\xe9: latin-1\n",
]


def fuzz_one_input(data: bytes) -> None:
    from standpunt.cite.finder import find_citations
    from standpunt.errors import StandpuntError
    from standpunt.workspace.load import parse_yaml

    try:
        parse_yaml(data, "fuzz.yaml")
    except StandpuntError as error:
        if error.location is None or error.code == "internal-error":
            raise AssertionError(f"loader error without a place, or internal: {error}") from None
    text = data.decode("utf-8", "replace")
    refs = find_citations(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd").split("\n")
    for ref in refs:
        if not ref.key and "@{}" not in text:
            raise AssertionError(f"empty citation key: {ref}")
        if not 1 <= ref.line <= len(lines) or ref.col < 1:
            raise AssertionError(f"citation placed outside the text: {ref}")
        at = lines[ref.line - 1][ref.col - 1 :]
        if not at.startswith((f"@{ref.key}", f"@{{{ref.key}}}")):
            raise AssertionError(f"citation not placed at its '@': {ref}")
        # An empty key only as `@{}`, which pandoc 3.9 also reads as a citation (of id "").
        if not ref.key and not at.startswith("@{}"):
            raise AssertionError(f"empty citation key not written as @{{}}: {ref}")


def _seed_corpus(folder: Path) -> Path:
    """``folder``, holding the seeds (libFuzzer reads them, and writes new finds there)."""
    folder.mkdir(parents=True, exist_ok=True)
    examples = [*SEEDS]
    for pattern in ("positions/*.yaml", "evidence/*.yaml"):
        examples.extend(path.read_bytes()[:4096] for path in sorted(REPO.glob(pattern)))
    for number, example in enumerate(examples):
        (folder / f"seed-{number}").write_bytes(example)
    return folder


def smoke(args: list[str]) -> int:
    """The fixed short run, in a child process, with everything it writes in a temp folder."""
    with tempfile.TemporaryDirectory(prefix="standpunt-fuzz-") as temp:
        corpus = _seed_corpus(Path(temp, "corpus"))
        crashes = Path(temp, "crashes")
        crashes.mkdir()
        command = [
            sys.executable,
            __file__,
            f"-atheris_runs={SMOKE_RUNS}",
            "-seed=4",
            "-max_len=2048",
            "-timeout=20",
            f"-artifact_prefix={crashes}/",
            *args,
            str(corpus),
        ]
        print(f"smoke run: {SMOKE_RUNS} inputs, seed 4", flush=True)
        code = subprocess.run(command, check=False).returncode
        for crash in sorted(crashes.iterdir()):
            print(f"finding: {crash.name}: {crash.read_bytes()[:500]!r}")
        return code


def main(argv: list[str]) -> None:
    if "--smoke" in argv:
        sys.exit(smoke([arg for arg in argv[1:] if arg != "--smoke"]))
    import atheris

    # Coverage feedback from Standpunt's code and the parsers under it.
    with atheris.instrument_imports(include=["standpunt", "yaml", "markdown_it"]):
        from standpunt.cite import finder  # noqa: F401
        from standpunt.workspace import load  # noqa: F401
    with tempfile.TemporaryDirectory(prefix="standpunt-fuzz-seeds-") as seeds:
        # The seeds are read from a folder of their own, after the user's corpus folders.
        atheris.Setup([*argv, str(_seed_corpus(Path(seeds)))], fuzz_one_input)
        atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
