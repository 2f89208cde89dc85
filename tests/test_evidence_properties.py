"""Nothing in an evidence file can cause a traceback: hypothesis over .bib, .ris, CSL-YAML and
CSL-JSON files, each run through ``standpunt check`` as a user runs it.

Every run must end with exit code 0 or 1 and report each problem at a line of the file it is
about. Files near the limits (deep braces, many records, long lines) are read in bounded time
and memory by construction (one pass, no recursion); they are checked here for their answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standpunt.cli import main

CONFIG = "organisation:\n  name: Test Organisation\nlang: en\nstyle: apa\n"
POSITION = """\
title: Care
sections:
  - title: One
    body: See [@a; @claessens2018market; @b2, p. 3].
"""
FILES = (
    "evidence/random.bib",
    "evidence/random.ris",
    "evidence/random.yaml",
    "evidence/random.json",
)

# --------------------------------------------------------------------------- strategies

ODD = st.sampled_from(
    ["", " ", "é", "{\\'e}", "{\\\"u}", "\\", "$x^2$", "\x00", "\u2028", "\ufeff", "\r", "\t",
     "%", "#", "~", "&", "\\url{http://x}", "{{Org}}", "2020", "2020-13", "2020-02-30", "-5",
     "13", "mar", "and", "de Vries, Jan", "Van den Broeck, K.", "family=Vries, prefix=de",
     "useprefix=true", "useprefix=false", "2021-21", "2020/2021", "2018~", "nl", "dutch"]
) | st.text(max_size=8)  # fmt: skip

BIB_TOKENS = st.sampled_from(
    ["@", "@article", "@book", "@incollection", "@online", "@report", "@misc", "@string",
     "@comment", "@preamble", "@techreport", "{", "}", "(", ")", ",", ",,", "=", " = ", '"',
     " # ", "key", "k1", "title", "author", "editor", "date", "year", "month", "urldate",
     "langid", "language", "options", "crossref", "doi", "pages", "journaltitle", "booktitle",
     "\n", "\r\n", " ", "\t", "  title = {", "},\n", "@book{k,", "mail@example.org"]
) | ODD  # fmt: skip
BIB_FIELDS = st.sampled_from(
    ["title", "author", "editor", "date", "year", "month", "urldate", "langid", "language",
     "options", "crossref", "doi", "url", "pages", "journaltitle", "journal", "booktitle",
     "publisher", "location", "address", "institution", "file", "keywords", "edition", "x"]
)  # fmt: skip
BIB_ENTRY = st.builds(
    lambda kind, key, fields: (
        f"@{kind}{{{key},\n"
        + "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
        + "}\n"
    ),
    st.sampled_from(["article", "book", "incollection", "online", "report", "misc", "thesis"]),
    st.sampled_from(["a", "b2", "claessens2018market", "a", "x:y/z", "é"]),
    st.lists(st.tuples(BIB_FIELDS, ODD), max_size=6),
)
BIB = st.lists(BIB_ENTRY | BIB_TOKENS, max_size=30).map("".join) | st.text(max_size=200)

RIS_TAGS = st.sampled_from(
    ["TY", "AU", "A1", "A2", "A3", "ED", "TI", "T1", "T2", "T3", "J2", "ST", "PY", "Y1", "DA",
     "Y2", "ID", "ER", "KW", "SP", "EP", "SN", "CY", "PP", "PB", "UR", "DO", "LA", "ET", "BT",
     "N1", "L1", "ZZ", "99"]
)  # fmt: skip
RIS_VALUES = (
    st.sampled_from(
        ["JOUR", "BOOK", "CHAP", "ELEC", "GEN", "RPRT", "ZZZZ", "Claessens, Dirk",
         "Claessens, D., Jr.", "Vlaams Agentschap", "a, b, c, d", "2018", "2018/03/05/",
         "2015/13/40", "2018///", "9999/99/99/x", "-12", "2018-02-29 10:00", "", "b2"]
    )
    | ODD
)  # fmt: skip
RIS_LINE = (
    st.builds(lambda tag, sep, value: f"{tag}{sep}{value}", RIS_TAGS,
              st.sampled_from(["  - ", " - ", "  -", "\t-\t", "-"]), RIS_VALUES)
    | ODD
)  # fmt: skip
RIS = st.lists(RIS_LINE, max_size=40).map(lambda lines: "\n".join(lines)) | st.text(max_size=200)

NAME_PARTS = st.sampled_from(
    ["family", "given", "literal", "suffix", "dropping-particle", "non-dropping-particle",
     "comma-suffix", "static-ordering", "parse-names", "isInstitution", "Family", "x"]
)  # fmt: skip
SCALAR = ODD | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
NAME = st.dictionaries(NAME_PARTS, SCALAR | st.lists(SCALAR, max_size=2), max_size=4) | SCALAR
DATE = (
    st.dictionaries(
        st.sampled_from(["date-parts", "season", "circa", "literal", "raw", "Date-Parts"]),
        st.lists(st.lists(SCALAR, max_size=4), max_size=3) | SCALAR,
        max_size=3,
    )
    | SCALAR
)
CSL_KEYS = st.sampled_from(
    ["id", "ID", "type", "title", "Title", "DOI", "doi", "URL", "url", "ISBN", "isbn", "custom",
     "categories", "note", "quote", "page", "volume", "titel", "language"]
)  # fmt: skip
CSL_ITEM = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b2", "claessens2018market", "a"]) | SCALAR},
    optional={
        "author": st.lists(NAME, max_size=3) | NAME,
        "editor": st.lists(NAME, max_size=2),
        "issued": DATE,
        "accessed": DATE,
        "type": st.sampled_from(["book", "chapter", "Book", ""]) | SCALAR,
    },
).flatmap(
    lambda item: st.dictionaries(CSL_KEYS, SCALAR | st.lists(SCALAR, max_size=2), max_size=4).map(
        lambda extra: {**extra, **item}
    )
)
CSL = st.lists(CSL_ITEM, max_size=4)


def check(root: Path) -> list[dict[str, Any]]:
    """``standpunt check --format json``: its problems, after asserting a clean end."""
    result = CliRunner().invoke(
        main, ["-C", str(root), "check", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    problems: list[dict[str, Any]] = json.loads(result.stdout)
    return problems


def assert_located(problems: list[dict[str, Any]], root: Path) -> None:
    for problem in problems:
        assert problem["message"], problem
        assert problem["path"] in {*FILES, "positions/care.yaml"}, problem
        assert problem["line"] >= 1 and problem["col"] >= 1, problem
        # Every line break YAML knows ends a line (the RIS reader counts a lone CR too).
        text = (root / problem["path"]).read_bytes().decode("utf-8", "replace")
        lines = re.split("\r\n|[\n\r\x85\u2028\u2029]", text)
        assert problem["line"] <= len(lines), problem


@pytest.fixture(scope="module")
def random_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evidence") / "ws"
    (root / "positions").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "standpunt.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "positions" / "care.yaml").write_text(POSITION, encoding="utf-8")
    return root


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(bib=BIB, ris=RIS, csl=CSL, as_bytes=st.booleans())
def test_random_evidence_files_give_located_problems_only(
    random_workspace: Path, bib: str, ris: str, csl: list[Any], as_bytes: bool
) -> None:
    root = random_workspace
    texts = {
        FILES[0]: bib,
        FILES[1]: ris,
        FILES[2]: yaml.safe_dump(csl, allow_unicode=True),
        FILES[3]: json.dumps(csl, ensure_ascii=False),
    }
    for relative, text in texts.items():
        data = text.encode("utf-8", "surrogatepass")
        # Now and then a file in the older Windows encoding, which must be named, not guessed.
        (root / relative).write_bytes(text.encode("cp1252", "replace") if as_bytes else data)
    assert_located(check(root), root)


HOSTILE = {
    "deep-braces.bib": "@book{a, title = " + "{" * 200_000 + "}\n",
    "many-closing.bib": "}" * 200_000,
    "many-at-signs.bib": "@" * 200_000,
    "entry-starts-on-one-line.bib": "@book{a,\n" * 50_000,
    "one-long-line.bib": "@book{a, title = {" + "x" * 1_000_000 + "}}\n",
    "many-fields.bib": "@book{a,\n" + "title = {x},\n" * 100_000 + "}\n",
    "same-author-many-times.ris": (
        "TY  - JOUR\nAU  - Claessens, Dirk\nPY  - 2018\nTI  - Market\nER  - \n" * 20_000
    ),
    "one-long-record.ris": "TY  - JOUR\n" + "AU  - X, Y\n" * 100_000 + "ER  - \n",
    "continuations.ris": "TY  - JOUR\nAB  - a\n" + "  more\n" * 100_000,
    "only-junk.ris": "junk\n" * 100_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bib_and_ris_files_end_in_located_problems(tmp_path: Path, name: str) -> None:
    root = tmp_path / "ws"
    (root / "evidence").mkdir(parents=True)
    (root / "standpunt.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "evidence" / name).write_text(HOSTILE[name], encoding="utf-8")
    result = CliRunner().invoke(
        main, ["-C", str(root), "check", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    for problem in json.loads(result.stdout):
        assert problem["path"] == f"evidence/{name}" and problem["line"] >= 1, problem


def test_many_records_of_one_author_get_keys_in_order(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "evidence").mkdir(parents=True)
    (root / "standpunt.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "evidence" / "same.ris").write_text(
        HOSTILE["same-author-many-times.ris"], encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["-C", str(root), "check", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0
    keys = [p["message"].split("'")[1] for p in json.loads(result.stdout)]
    assert len(keys) == 20_000
    assert keys[:3] == ["claessens2018market", "claessens2018marketa", "claessens2018marketb"]
    assert keys[-1] == "claessens2018marketacoe"  # the 19,999th suffix: a, …, z, aa, …, acoe
    assert len(set(keys)) == 20_000
