"""Where a build's time goes: the profiles behind the benchmark's floors.

    python3 benchmarks/floors.py            # P1 alternated, a warm render profiled, P2's floor
    python3 benchmarks/floors.py --runs 11  # more alternations where the machine is noisy

1. P1 alternated: a cold ``standpunt build`` of the benchmark's 7-page position and the raw
   ``weasyprint`` command on the same HTML, run in turns, with the minimum and median of each
   (turns cancel out the slow drifts of a shared machine).
2. One warm render of the same HTML in this process (what a worker does for every position after
   its first), split into WeasyPrint's render and write, then a cProfile of three of them: the
   processor time that bounds a many-position build (P2) on a machine with few cores.
3. P2's floor: the benchmark's twenty positions rendered by WeasyPrint alone, in as many warm
   processes as there are cores (each imports WeasyPrint once, then renders its share of the
   pages Standpunt hands it), against the twenty raw ``weasyprint`` commands P2 compares with.
   No build can take less than this without a faster WeasyPrint or more cores.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # the benchmark's generated workspace and helpers


def alternate(one: Path, html: Path, runs: int) -> None:
    weasyprint = shutil.which("weasyprint") or str(Path(sys.executable).parent / "weasyprint")
    commands = {
        "standpunt build": (bench.standpunt(one, "--force"), bench.clear_cache(one)),
        "raw weasyprint": (
            [weasyprint, "--pdf-variant", "pdf/ua-1", str(html), str(one.parent / "raw.pdf")],
            None,
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, before) in commands.items():
            if before:
                before()
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name:16} min {min(values):.3f} s  median {statistics.median(values):.3f} s")
    ours, raw = times["standpunt build"], times["raw weasyprint"]
    print(
        f"P1 ratio: min {min(ours) / min(raw):.2f}x, "
        f"median {statistics.median(ours) / statistics.median(raw):.2f}x"
    )


def warm(html: Path, top: int) -> None:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    source = html.read_text(encoding="utf-8")
    fonts = FontConfiguration()

    def once() -> tuple[float, float]:
        start = time.perf_counter()
        document = weasyprint.HTML(string=source, base_url=str(html)).render(
            font_config=fonts, pdf_variant="pdf/ua-1"
        )
        rendered = time.perf_counter()
        document.write_pdf(pdf_variant="pdf/ua-1")
        return rendered - start, time.perf_counter() - rendered

    for _ in range(3):
        once()
    runs = [once() for _ in range(5)]
    print(
        f"\nwarm render (min of 5): render {min(r for r, _ in runs):.3f} s, "
        f"write {min(w for _, w in runs):.3f} s"
    )
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(3):
        once()
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(top)


#: What each of P2's floor processes runs: import WeasyPrint once, then render its pages.
RENDER_SHARE = """\
import sys
import weasyprint
from weasyprint.text.fonts import FontConfiguration

fonts = FontConfiguration()
for name in sys.argv[1:]:
    page = weasyprint.HTML(filename=name).render(font_config=fonts, pdf_variant="pdf/ua-1")
    page.write_pdf(name + ".pdf", pdf_variant="pdf/ua-1")
"""


def p2_floor(folder: Path, runs: int) -> None:
    twenty = bench.workspace(
        folder / "twenty", {f"p{n:02d}": bench.position(f"Position {n}", 30) for n in range(20)}
    )
    pages = [str(bench.print_html(twenty, f"p{n:02d}")) for n in range(20)]
    cores = os.cpu_count() or 1
    weasyprint = shutil.which("weasyprint") or str(Path(sys.executable).parent / "weasyprint")
    start = time.perf_counter()
    for n, page in enumerate(pages):
        command = [weasyprint, "--pdf-variant", "pdf/ua-1", page, str(folder / f"raw{n}.pdf")]
        subprocess.run(command, check=True, capture_output=True)
    raw = time.perf_counter() - start
    alone = []
    for _ in range(runs):
        start = time.perf_counter()
        shares = [
            subprocess.Popen([sys.executable, "-c", RENDER_SHARE, *pages[core::cores]])
            for core in range(cores)
        ]
        if any(share.wait() for share in shares):
            raise SystemExit("a WeasyPrint process failed")
        alone.append(time.perf_counter() - start)
    print(
        f"\nP2's floor: twenty raw commands {raw:.2f} s; WeasyPrint alone in {cores} warm "
        f"processes, best of {runs}: {min(alone):.2f} s = {min(alone) / raw:.2f}x (target 0.2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="turns of the P1 alternation")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    parser.add_argument("--no-p2", action="store_true", help="skip P2's floor (about 40 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="standpunt-profile-") as tmp:
        one = bench.workspace(Path(tmp) / "one", {"five-pages": bench.position("Five pages", 30)})
        html = bench.print_html(one, "five-pages")
        alternate(one, html, args.runs)
        warm(html, args.top)
        if not args.no_p2:
            p2_floor(Path(tmp), 3)


if __name__ == "__main__":
    main()
