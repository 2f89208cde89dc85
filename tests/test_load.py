"""The YAML and JSON loader: values stay the text written, every value is located, and every
problem (including hostile files) is one located StandpuntError."""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standpunt.errors import Location, StandpuntError
from standpunt.workspace import load
from standpunt.workspace.load import (
    MAX_BYTES,
    MAX_DEPTH,
    Scalar,
    YamlList,
    YamlMapping,
    load_json,
    load_yaml,
    parse_yaml,
    to_plain,
)

P = "positions/x.yaml"


@pytest.fixture(autouse=True, scope="module", params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test of the loader runs with libyaml's event parser and with the pure-Python one:
    both must keep every rule and give the same locations."""
    assert load._CParser is not None, "PyYAML without libyaml: the libyaml runs would test nothing"
    saved = load.use_libyaml
    load.use_libyaml = request.param == "libyaml"
    yield request.param
    load.use_libyaml = saved


def fails(text: str | bytes, path: str = P) -> StandpuntError:
    """The error parsing ``text`` raises (the test fails if it parses)."""
    with pytest.raises(StandpuntError) as info:
        parse_yaml(text, path)
    return info.value


def where(error: StandpuntError) -> tuple[int, int]:
    assert error.location is not None
    return error.location.line, error.location.col


# --------------------------------------------------------------------------- scalars


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("NO", "NO"),
        ("no", "no"),
        ("yes", "yes"),
        ("true", "true"),
        ("Off", "Off"),
        ("0306406152", "0306406152"),
        ("1:20", "1:20"),
        ("2024-01-05", "2024-01-05"),
        ("2024-01-05 10:00:00", "2024-01-05 10:00:00"),
        ("~", "~"),
        ("null", "null"),
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("1e3", "1e3"),
        ("1_000", "1_000"),
        (".nan", ".nan"),
        ("3.10", "3.10"),
        ("'NO'", "NO"),
        ('"0306406152"', "0306406152"),
        ("'it''s'", "it's"),
        ('"caf\\u00e9 \\ud83d\\ude00"', "café 😀"),
        ("''", ""),
        ('""', ""),
    ],
)
def test_scalars_stay_the_text_written(written: str, value: str) -> None:
    loaded = parse_yaml(f"key: {written}\n", P)["key"]
    assert type(loaded) is Scalar
    assert loaded == value


def test_plain_empty_scalars_become_none() -> None:
    loaded = parse_yaml("a:\nb: ''\nc:\n  - x\n  -\n  - ''\nd: {e: }\n", P)
    assert to_plain(loaded) == {"a": None, "b": "", "c": ["x", None, ""], "d": {"e": None}}
    assert loaded.value_loc("a") == Location(P, 1, 1)  # the key, as the value is empty
    assert loaded["c"].item_locs[1] == Location(P, 5, 4)  # just after the '-'


def test_styles() -> None:
    loaded = parse_yaml("a: x\nb: 'x'\nc: \"x\"\nd: |\n  x\ne: >\n  x\n", P)
    assert [loaded[k].style for k in "abcde"] == [None, "'", '"', "|", ">"]


# --------------------------------------------------------------------------- keys


def test_duplicate_key_names_both_lines() -> None:
    text = "id: x\nlang: nl\ntitle: One\nsummary: s\n\n# again\ntitle: Two\n"
    error = fails(text)
    assert str(error) == (
        "positions/x.yaml:7:1: error: the key 'title' appears twice, here and on line 3; "
        "keep one of them [yaml-duplicate-key]"
    )
    assert error.code == "yaml-duplicate-key"


def test_duplicate_key_quoted_and_plain_in_nested_flow_mapping() -> None:
    error = fails('a:\n  b: {title: x, "title": y}\n')
    assert (error.code, where(error)) == ("yaml-duplicate-key", (2, 17))
    assert "on line 2" in error.message


def test_anchor_is_refused() -> None:
    error = fails("base: &defaults\n  lang: nl\n")
    assert (error.code, where(error)) == ("yaml-anchor", (1, 7))
    assert error.message.startswith("'&defaults' is a YAML anchor, which Standpunt does not allow")


def test_alias_is_refused_with_a_hint_for_markdown_emphasis() -> None:
    error = fails("title: x\nsummary: *bold* text\n")
    assert (error.code, where(error)) == ("yaml-anchor", (2, 10))
    assert error.message.startswith("'*bold*' is a YAML alias")
    assert "put the whole value in quotes" in error.message


def test_billion_laughs_fails_at_the_first_anchor_before_any_expansion() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    error = fails("\n".join(lines) + "\n")
    # refused at the first anchor, line 1: no alias is ever resolved, so nothing expands
    assert (error.code, where(error)) == ("yaml-anchor", (1, 4))


def test_python_tag_is_refused_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "x.yaml"
    file.write_text('title: x\nrun: !!python/object/apply:os.system ["touch pwned"]\n')
    with pytest.raises(StandpuntError) as info:
        load_yaml(file, "x.yaml")
    assert str(info.value).startswith(
        "x.yaml:2:6: error: '!!python/object/apply:os.system' is a YAML tag, which Standpunt "
        "does not allow"
    )
    assert info.value.code == "yaml-tag"
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("text", "tag", "col"),
    [
        ("k: !!binary aGVsbG8=\n", "!!binary", 4),
        ("k: !!set {a, b}\n", "!!set", 4),
        ("k: !!str 5\n", "!!str", 4),
        ("k: !custom x\n", "!custom", 4),
        ("k: ! x\n", "!", 4),
        ("k: [a, !<tag:yaml.org,2002:str> b]\n", "!<tag:yaml.org", 8),
        ("!!map {k: v}\n", "!!map", 1),
    ],
)
def test_tags_are_refused(text: str, tag: str, col: int) -> None:
    error = fails(text)
    assert (error.code, where(error)) == ("yaml-tag", (1, col))
    assert error.message.startswith(f"'{tag}")


def test_merge_key_is_refused_but_a_quoted_one_is_text() -> None:
    error = fails("base:\n  a: 1\nother:\n  <<: {a: 2}\n")
    assert (error.code, where(error)) == ("yaml-merge-key", (4, 3))
    assert "'<<' (a YAML merge key) is not allowed" in error.message
    assert parse_yaml("'<<': x\n", P) == {"<<": "x"}


@pytest.mark.parametrize(
    ("text", "position"),
    [("[a, b]: c\n", (1, 1)), ("x:\n  ? - a\n  : b\n", (2, 5)), ("{a: 1}: b\n", (1, 1))],
)
def test_complex_keys_are_refused(text: str, position: tuple[int, int]) -> None:
    error = fails(text)
    assert (error.code, where(error)) == ("yaml-complex-key", position)
    assert "a key must be a single text" in error.message


def test_missing_keys_are_refused() -> None:
    error = fails("a: 1\n?\n: x\n")
    assert (error.code, where(error)) == ("yaml-empty-key", (2, 2))
    error = fails("a: 1\n: x\n")
    assert (error.code, where(error)) == ("yaml-syntax", (2, 1))
    assert error.message.startswith("a key is missing before this ':'")


def test_explicit_scalar_key_is_fine() -> None:
    assert parse_yaml("? a\n: b\n", P) == {"a": "b"}


# --------------------------------------------------------------------------- nesting


def nested_block(depth: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "k: v\n"


def test_depth_64_is_fine_and_65_fails_at_the_65th_opening() -> None:
    assert MAX_DEPTH == 64
    loaded = parse_yaml("[" * 64 + "]" * 64, P)
    for _ in range(63):
        loaded = loaded[0]
    assert loaded == []
    error = fails("x: " + "[" * 64 + "]" * 64)
    assert (error.code, where(error)) == ("yaml-too-deep", (1, 67))  # the mapping is level 1
    assert error.message.startswith("lists and mappings are nested more than 64 levels deep")

    parse_yaml(nested_block(64), P)
    error = fails(nested_block(65))
    assert (error.code, where(error)) == ("yaml-too-deep", (65, 129))


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("[" * 100_000, (1, 65)),
        ("[" * 100_000 + "]" * 100_000, (1, 65)),
        ("{a: " * 100_000, (1, 257)),
        ("[ " * 100_000, (1, 129)),
        ("- " * 100_000 + "x\n", (1, 129)),
        ("- " * 10 + "[" * 100_000, (1, 75)),
        ("[\n" * 100_000, (65, 1)),
        ("a:\n" + "- " * 100_000 + "x\n", (2, 127)),
        # The scanner stops looking ahead past flow level 64: without that it would read on
        # to the '@' (and, on '[[[[...', spend 0.3 s looking for a ':' after every '[').
        ("[" * 100 + "@", (1, 65)),
    ],
)
def test_100000_deep_nesting_fails_cleanly(text: str, position: tuple[int, int]) -> None:
    error = fails(text)  # a RecursionError or crash would fail this test
    # refused where the limit is passed (the place proves nothing past it was read)
    assert (error.code, where(error)) == ("yaml-too-deep", position)


# --------------------------------------------------------------------------- files and bytes


def test_file_over_5_mb_is_refused_before_parsing(tmp_path: Path) -> None:
    assert MAX_BYTES == 5 * 1024 * 1024
    body = b"a: [\n\t" + b"x" * (MAX_BYTES - 6)  # a syntax error on line 2 if it were parsed
    file = tmp_path / "big.yaml"
    file.write_bytes(body + b"\n")
    assert file.stat().st_size == MAX_BYTES + 1
    with pytest.raises(StandpuntError) as info:
        load_yaml(file, "big.yaml")
    assert info.value.code == "yaml-too-large"
    assert info.value.location == Location("big.yaml")
    assert info.value.message == (
        "this file is too large (5.1 MB); Standpunt reads files of at most 5 MB, so split it "
        "into smaller files"
    )
    error = fails(body + b"\n")  # the same check for bytes handed over directly
    assert error.code == "yaml-too-large"
    assert fails("é" * (MAX_BYTES // 2 + 1)).code == "yaml-too-large"  # counted in UTF-8 bytes


def test_huge_file_is_not_read(tmp_path: Path) -> None:
    file = tmp_path / "sparse.yaml"
    with open(file, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: nothing is written
    with pytest.raises(StandpuntError) as info:
        load_yaml(file)
    assert info.value.code == "yaml-too-large"
    assert "(64.0 MB)" in info.value.message  # the size from stat, so nothing was read


def test_latin1_file_names_line_and_column_of_the_bad_byte(tmp_path: Path) -> None:
    file = tmp_path / "latin1.yaml"
    file.write_bytes("id: x\ntitle: Café au lait\n".encode("latin-1"))
    with pytest.raises(StandpuntError) as info:
        load_yaml(file, "positions/latin1.yaml")
    assert str(info.value) == (
        "positions/latin1.yaml:2:11: error: this file is not saved as UTF-8: the byte 0xE9 here "
        "is not valid UTF-8 (it is probably 'é' saved in the older Windows/Latin-1 encoding); "
        "save the file as UTF-8 in your editor [yaml-encoding]"
    )


def test_encoding_error_column_counts_characters() -> None:
    error = fails("x: ‘ok’ ".encode() + b"\x93no\x94\n")
    assert (error.code, where(error)) == ("yaml-encoding", (1, 9))
    assert "'“'" in error.message


def test_utf16_file_is_explained() -> None:
    error = fails("a: 1\n".encode("utf-16"))
    assert (error.code, where(error)) == ("yaml-encoding", (1, 1))
    assert "UTF-16" in error.message


def test_utf8_bom_is_accepted() -> None:
    loaded = parse_yaml(b"\xef\xbb\xbftitle: caf\xc3\xa9\n", P)
    assert loaded == {"title": "café"}
    assert loaded.key_locs["title"] == Location(P, 1, 1)
    assert loaded["title"].raw == "café"
    assert parse_yaml("\ufeffa: b\n", P) == {"a": "b"}


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(StandpuntError) as info:
        load_yaml(tmp_path / "missing.yaml", "positions/missing.yaml")
    assert info.value.code == "file-unreadable"
    assert info.value.location == Location("positions/missing.yaml")
    assert "No such file" in info.value.message
    with pytest.raises(StandpuntError) as info:
        load_yaml(tmp_path)
    assert info.value.code == "file-unreadable"
    with pytest.raises(StandpuntError) as info:
        load_json(tmp_path / "missing.json")
    assert info.value.code == "file-unreadable"


def test_multiple_documents_point_at_the_second() -> None:
    error = fails("title: x\n---\ntitle: y\n")
    assert (error.code, where(error)) == ("yaml-multiple-documents", (2, 1))
    assert "a file may hold only one" in error.message
    assert fails("---\na: 1\n---\n").code == "yaml-multiple-documents"
    assert parse_yaml("---\na: 1\n...\n", P) == {"a": "1"}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", b"\xef\xbb\xbf"])
def test_empty_documents_give_none(text: str | bytes) -> None:
    assert parse_yaml(text, P) is None


# --------------------------------------------------------------------------- syntax errors


def test_tab_indentation_says_use_spaces() -> None:
    error = fails("title: x\nsigners:\n\t- swan\n")
    assert (error.code, where(error)) == ("yaml-syntax", (3, 1))
    assert error.message.startswith(
        "there is a tab character here; YAML needs spaces, not tabs, for indentation"
    )
    assert "found character '\\t' that cannot start any token" in error.message


@pytest.mark.parametrize(
    ("text", "position", "start"),
    [
        ("title: Housing: first\n", (1, 15), "a ':' followed by a space is not allowed here"),
        ("a: 1\nb\n\n# c\nc: 2\n", (2, 1), "this line should look like 'key: value'"),
        ('a: "abc\nb: 2\n', (3, 1), "the quoted text that starts on line 1, column 4 is never"),
        ('a: "Housing" first\n', (1, 14), "there is more text after the closing quote"),
        ("a:\n  b: 1\n c: 2\n", (3, 2), "the indentation here does not fit the lines above"),
        ("a: [1, 2\nb: 3\n", (2, 2), "a list in '[ ]' needs a ',' between its items"),
        ('a: "C:\\path"\n', (1, 8), "inside double quotes a backslash starts an escape"),
        ("a: @home\n", (1, 4), "a value cannot start with '@'"),
        ("a: 1\n...\nb: 2\n", (3, 1), "there is text after the end-of-document line"),
        ("a: b\x07c\n", (1, 5), "the invisible character U+0007 here is not allowed in YAML"),
    ],
)
def test_syntax_errors_are_located_and_explained(
    text: str, position: tuple[int, int], start: str
) -> None:
    error = fails(text)
    assert where(error) == position
    assert error.message.startswith(start)
    control = "\x07" in text  # the one case that is not a syntax error but a character
    assert error.code == ("yaml-control-character" if control else "yaml-syntax")


def test_syntax_error_keeps_pyyaml_problem_text() -> None:
    error = fails("title: Housing: first\n")
    assert error.message.endswith("(YAML parser: mapping values are not allowed here)")


def test_lone_surrogate_escape_is_refused() -> None:
    error = fails('a: "x\\ud83dy"\n')
    assert (error.code, where(error)) == ("yaml-escape", (1, 4))


# --------------------------------------------------------------------------- locations

DOC = """\
title: Housing first
tags:
  - one
  -
  - {name: "three", n: 3}
body: |
  Line one
  Line two
end: 'x'
"""


def test_locations_of_nested_values() -> None:
    doc = parse_yaml(DOC, P)
    assert type(doc) is YamlMapping and doc.loc == Location(P, 1, 1)
    assert doc.key_locs == {
        "title": Location(P, 1, 1),
        "tags": Location(P, 2, 1),
        "body": Location(P, 6, 1),
        "end": Location(P, 9, 1),
    }
    assert type(next(iter(doc))) is Scalar
    assert doc.value_loc("title") == Location(P, 1, 8)
    tags = doc["tags"]
    assert type(tags) is YamlList and tags.loc == Location(P, 3, 3)
    assert tags.item_locs == [Location(P, 3, 5), Location(P, 4, 4), Location(P, 5, 5)]
    assert tags[1] is None
    third = tags[2]
    assert third.loc == Location(P, 5, 5)
    assert third["name"].loc == Location(P, 5, 12)
    assert third.key_locs["n"] == Location(P, 5, 21)
    assert third.value_loc("n") == Location(P, 5, 24)
    body = doc["body"]
    assert body == "Line one\nLine two\n" and body.style == "|"
    assert body.loc == Location(P, 6, 7)  # the block indicator


def test_scalar_offsets_slice_the_raw_text() -> None:
    doc = parse_yaml(DOC, P)
    assert doc["title"].source is DOC  # shared, not copied
    assert DOC[doc["title"].start : doc["title"].end] == "Housing first"
    assert doc["tags"][2]["name"].raw == '"three"'
    assert doc["end"].raw == "'x'"
    assert doc["body"].raw == "|\n  Line one\n  Line two\n"
    key = next(iter(doc))
    assert key.raw == "title"


def test_pickle_round_trip_keeps_locations() -> None:
    doc = parse_yaml(DOC, P)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(doc, protocol))
        assert back == doc and type(back) is YamlMapping
        assert back.loc == doc.loc and back.key_locs == doc.key_locs
        assert type(next(iter(back))) is Scalar
        assert back["tags"].item_locs == doc["tags"].item_locs
        name = back["tags"][2]["name"]
        assert (name.loc, name.style, name.raw) == (Location(P, 5, 12), '"', '"three"')
        assert back["title"].source is back["body"].source  # still one copy of the text
    deep = copy.deepcopy(doc)
    assert deep["tags"][2]["name"].loc == Location(P, 5, 12)


def test_to_plain_gives_plain_types() -> None:
    plain = to_plain(parse_yaml(DOC, P))
    assert plain == {
        "title": "Housing first",
        "tags": ["one", None, {"name": "three", "n": "3"}],
        "body": "Line one\nLine two\n",
        "end": "x",
    }

    def types(value: Any) -> set[type]:
        if isinstance(value, dict):
            return {dict} | {type(k) for k in value} | set().union(*map(types, value.values()))
        if isinstance(value, list):
            return {list} | set().union(*map(types, value))
        return {type(value)}

    assert types(plain) == {dict, list, str, type(None)}
    json.dumps(plain)


def test_real_workspace_files_load() -> None:
    root = Path(__file__).resolve().parent.parent
    positions = sorted((root / "positions").glob("*.yaml"))
    assert positions  # the demo workspace's positions, so the loop below has work to do
    for file in [root / "standpunt.yaml", *positions]:
        assert to_plain(load_yaml(file)) == yaml.load(file.read_text(), Loader=yaml.BaseLoader)


# --------------------------------------------------------------------------- JSON

ZOTERO = r"""[
	{
		"id": "claessens2018",
		"type": "article-newspaper",
		"title": "Mensenrechten uithollen is historische trendbreuk",
		"container-title": "Sociaal.Net",
		"URL": "https:\/\/sociaal.net\/opinie\/mensenrechten\/",
		"author": [
			{
				"family": "Claessens",
				"given": "D\u00e9sir\u00e9e"
			}
		],
		"issued": {
			"date-parts": [
				[
					2018,
					2,
					26
				]
			]
		},
		"page": 12.5,
		"note": "\ud83d\ude00 \"quoted\"",
		"accessed": null,
		"flag": true
	}
]
"""


def write(tmp_path: Path, text: str | bytes, name: str = "refs.json") -> Path:
    file = tmp_path / name
    file.write_bytes(text.encode() if isinstance(text, str) else text)
    return file


def json_fails(tmp_path: Path, text: str | bytes) -> StandpuntError:
    with pytest.raises(StandpuntError) as info:
        load_json(write(tmp_path, text), "refs.json")
    return info.value


def test_zotero_csl_json_with_tabs_and_escapes(tmp_path: Path) -> None:
    refs = load_json(write(tmp_path, ZOTERO), "refs.json")
    item = refs[0]
    assert item["URL"] == "https://sociaal.net/opinie/mensenrechten/"
    assert item["author"][0]["given"] == "Désirée"
    assert item["note"] == '😀 "quoted"'
    assert item["issued"]["date-parts"] == [["2018", "2", "26"]]  # numbers stay the text
    assert item["page"] == "12.5" and item["page"].style is None
    assert item["accessed"] is None and item["flag"] == "true"
    assert refs.loc == Location("refs.json", 1, 1)
    assert item.loc == Location("refs.json", 2, 2)
    assert item.key_locs["title"] == Location("refs.json", 5, 3)
    assert item["title"].loc == Location("refs.json", 5, 12)
    assert item.value_loc("accessed") == Location("refs.json", 25, 3)
    assert item["issued"]["date-parts"][0].item_locs[2] == Location("refs.json", 19, 6)
    assert item["URL"].raw == r'"https:\/\/sociaal.net\/opinie\/mensenrechten\/"'
    expected = json.loads(ZOTERO, parse_int=str, parse_float=str)
    expected[0]["flag"] = "true"
    assert to_plain(refs) == expected
    assert pickle.loads(pickle.dumps(refs))[0]["title"].loc == Location("refs.json", 5, 12)


def test_json_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    error = json_fails(tmp_path, '[\n  {\n    "id": "a",\n    "title": "x",\n    "id": "b"\n  }\n]')
    assert str(error) == (
        "refs.json:5:5: error: the key 'id' appears twice, here and on line 3; keep one of "
        "them [json-duplicate-key]"
    )


@pytest.mark.parametrize(
    ("text", "position", "start"),
    [
        ('[\n  {"id": "a"}\n  {"id": "b"}\n]', (3, 3), "expected ',' or ']' here"),
        ('{"a": 1,\n "b": 2,\n}', (3, 1), "a comma just before '}' is not allowed in JSON"),
        ('{"a" 1}', (1, 6), "expected ':' here"),
        ('{"a": }', (1, 7), "expected a value here"),
        ("{'a': 1}", (1, 2), "expected a key in double quotes here"),
        ('["abc', (1, 2), "the text in double quotes that starts here is never closed"),
        ('["abc\n"]', (1, 2), "the text in double quotes that starts here is not closed on"),
        ('["a\\qb"]', (1, 4), "inside double quotes a backslash must start an escape"),
        ('["\\u12"]', (1, 4), "'\\u' must be followed by four hexadecimal digits"),
        ('["a\tb"]', (1, 4), "a line break, tab or other control character"),
        ("[1, 2]\n[3]", (2, 1), "there is more text after the end of the JSON data"),
        ("[01]", (1, 3), "expected ',' or ']' here"),
        ("[NaN]", (1, 2), "expected a value here"),
        ('{\n\t"a": [1, 2', (2, 12), "the file ends too early: the '[' on line 2 is not closed"),
    ],
)
def test_json_syntax_errors(
    tmp_path: Path, text: str, position: tuple[int, int], start: str
) -> None:
    error = json_fails(tmp_path, text)
    assert (error.code, where(error)) == ("json-syntax", position)
    assert error.message.startswith(start)


def test_json_limits_and_encoding(tmp_path: Path) -> None:
    error = json_fails(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert (error.code, where(error)) == ("json-too-deep", (1, 65))
    assert load_json(write(tmp_path, "[" * 64 + "]" * 64)) is not None
    error = json_fails(tmp_path, b" " * (MAX_BYTES - 1) + b"[]")
    assert error.code == "json-too-large"
    assert load_json(write(tmp_path, b" " * (MAX_BYTES - 2) + b"[]")) == []  # exactly 5 MB
    error = json_fails(tmp_path, '[\n "Café"\n]'.encode("latin-1"))
    assert (error.code, where(error)) == ("json-encoding", (2, 6))
    error = json_fails(tmp_path, '["\\udc00"]')
    assert (error.code, where(error)) == ("json-escape", (1, 2))
    assert load_json(write(tmp_path, b'\xef\xbb\xbf {"a": "b"}')) == {"a": "b"}
    assert load_json(write(tmp_path, "")) is None


# --------------------------------------------------------------------------- properties

YAMLISH = st.lists(
    st.sampled_from(
        [
            *"ab:- \n\t[]{},'\"!&*?|>#%@`\\~0.<=é",
            *["---", "...", "\r\n", "\x85", "\u2028", "\ufeff", "\x00", "\ud800", "  "],
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(YAMLISH | st.text(max_size=60) | st.binary(max_size=60))
def test_any_input_gives_a_value_or_a_standpunt_error(data: str | bytes) -> None:
    try:
        parse_yaml(data, P)
    except StandpuntError as error:
        assert error.location is not None and error.location.path == P


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


# PyYAML's emitter writes U+0085 raw into single quotes with allow_unicode, where YAML 1.1
# reads it as a line break: even yaml.safe_load does not get it back.
LEAVES = st.text(st.characters(codec="utf-8", exclude_characters="\x85"), max_size=20)
TREES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(LEAVES, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(TREES, st.sampled_from([None, True, False]), st.booleans())
def test_dumped_trees_of_strings_load_back_equal(
    tree: Any, flow: bool | None, unicode: bool
) -> None:
    text = yaml.dump(tree, Dumper=_NoAliasDumper, default_flow_style=flow, allow_unicode=unicode)
    assert to_plain(parse_yaml(text, P)) == tree


@pytest.fixture(scope="module")
def json_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("json") / "data.json"


JSONISH = st.lists(st.sampled_from([*'{}[],:" \t\n\\ua0-1e.E+', "true", "null"])).map("".join)


def _strict_json(text: str) -> Any:
    """json.loads as load_json reads JSON: no NaN, no duplicate keys, no lone surrogates."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({key for key, _ in items}) != len(items):
            raise ValueError("duplicate key")
        return dict(items)

    def no_constant(name: str) -> Any:
        raise ValueError(name)

    value = json.loads(
        text,
        object_pairs_hook=pairs,
        parse_int=str,
        parse_float=str,
        parse_constant=no_constant,
    )

    def textual(value: Any) -> Any:
        if isinstance(value, dict):
            return {textual(k): textual(v) for k, v in value.items()}
        if isinstance(value, list):
            return [textual(v) for v in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("lone surrogate")
        return value

    return textual(value)


def _tabbed(value: Any) -> str:
    return json.dumps(value, indent="\t", ensure_ascii=False)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH | st.text(max_size=30) | TREES.map(json.dumps) | TREES.map(_tabbed))
def test_json_reader_agrees_with_json_loads(json_file: Path, text: str) -> None:
    json_file.write_text(text, encoding="utf-8")
    body = text.removeprefix("\ufeff")  # load_json accepts a byte order mark, json.loads not
    if not body.strip(" \t\n\r"):
        assert load_json(json_file) is None  # empty, like an empty YAML file
        return
    try:
        expected = _strict_json(body)
    except (ValueError, RecursionError):
        expected = StandpuntError
    try:
        got = to_plain(load_json(json_file))
    except StandpuntError as error:
        assert error.code.startswith("json-"), error
        assert expected is StandpuntError, (text, error)
        return
    assert got == expected


def test_all_string_chars_survive_json(tmp_path: Path) -> None:
    text = "".join(chr(c) for c in range(0x20, 0x3000)) + string.printable
    file = write(tmp_path, json.dumps([text], ensure_ascii=False))
    assert load_json(file) == [text]
    file = write(tmp_path, json.dumps({"k": text}))
    assert load_json(file) == {"k": text}


# ------------------------------------------------------------------- libyaml and pure Python


def _shape(value: Any) -> Any:
    """Everything the loader gives for a value: text, style, offsets and every location."""
    if isinstance(value, YamlMapping):
        items = [(_shape(k), value.key_locs[k], _shape(v)) for k, v in value.items()]
        return ("mapping", value.loc, items)
    if isinstance(value, YamlList):
        return ("list", value.loc, [_shape(v) for v in value], list(value.item_locs))
    if isinstance(value, Scalar):
        return ("scalar", str(value), value.loc, value.style, value.start, value.end)
    return value


def _read_both(text: str | bytes) -> tuple[Any, Any]:
    """What the loader gives with libyaml and with the pure-Python parser (or their error)."""
    found = []
    saved = load.use_libyaml
    try:
        for libyaml in (True, False):
            load.use_libyaml = libyaml
            try:
                found.append(_shape(parse_yaml(text, P)))
            except StandpuntError as error:
                found.append((error.message, error.location, error.code))
    finally:
        load.use_libyaml = saved
    return found[0], found[1]


@settings(max_examples=600, deadline=None)
@given(YAMLISH | st.text(max_size=60))
def test_libyaml_and_the_pure_python_parser_agree_on_any_input(text: str) -> None:
    with_libyaml, pure = _read_both(text)
    assert with_libyaml == pure


@settings(max_examples=300, deadline=None)
@given(
    TREES,
    st.sampled_from([None, True, False]),
    st.sampled_from([None, '"', "'", "|", ">"]),
    st.sampled_from(["\n", "\r\n"]),
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from([*"\t?#:-[]{}|>\\\r", " #"]))),
)
def test_libyaml_and_the_pure_python_parser_agree_on_dumped_and_damaged_trees(
    tree: Any, flow: bool | None, style: str | None, newline: str, damage: list[tuple[int, str]]
) -> None:
    text = yaml.dump(
        tree,
        Dumper=_NoAliasDumper,
        default_flow_style=flow,
        default_style=style,
        line_break=newline,
    )
    for at, what in damage:
        text = text[:at] + what + text[at:]
    with_libyaml, pure = _read_both(text)
    assert with_libyaml == pure


def test_libyaml_reads_ordinary_files_and_the_pure_parser_judges_the_rest(
    monkeypatch: pytest.MonkeyPatch, parser: str
) -> None:
    """libyaml reads a file unless it holds what the two parsers read differently (here a tab,
    '?' in a flow list, a block header followed by '#') or anything wrong: then the pure-Python
    parser reads it again and reports the problem."""
    pure: list[str] = []
    original = load._compose

    def counted(loader: Any, source: str) -> Any:
        pure.append(source)
        return original(loader, source)

    monkeypatch.setattr(load, "_compose", counted)
    ordinary = 'title: Zürich "quoted" 😀\ndate-parts: [[2020, 1]]\nbody: |\n  Text [@key].\n'
    assert to_plain(parse_yaml(ordinary, P))["date-parts"] == [["2020", "1"]]
    assert pure == ([] if parser == "libyaml" else [ordinary])
    for text in ["a: x\t\n", "a: [b?]\n", "a: |#\n  x\n", "a: &x 1\n", "a: 1\na: 2\n"]:
        pure.clear()
        with contextlib.suppress(StandpuntError):
            parse_yaml(text, P)
        assert pure == [text]


def test_a_u_escape_past_the_last_character_is_an_error_not_a_crash() -> None:
    error = fails('title: "Caf\\UFFFFFFFF"\n')
    assert (error.code, where(error)) == ("yaml-escape", (1, 12))
    assert error.message.startswith("this '\\U' escape names no character")


def test_non_ascii_text_keeps_character_columns_and_offsets() -> None:
    text = "é€😀: [ä, 'ö']\nnext: \"ü\" # ß\n"
    loaded = parse_yaml(text, P)
    items = loaded["é€😀"]
    assert (items.loc, items.item_locs) == (
        Location(P, 1, 6),
        [Location(P, 1, 7), Location(P, 1, 10)],
    )
    assert [item.raw for item in items] == ["ä", "'ö'"]
    assert (loaded["next"].loc, loaded["next"].raw) == (Location(P, 2, 7), '"ü"')


def test_libyaml_is_trusted_with_no_character_outside_the_set_both_parsers_read_alike() -> None:
    """The pattern names the characters outside that set one by one, as it compiles in a
    fraction of the time the set's complement takes: the two find the same characters, all."""
    printable = (
        "\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
    )
    complement = re.compile(f"[^{printable}]")
    every = "".join(map(chr, range(0x110000)))
    assert load._LIBYAML_UNSURE.findall(every) == complement.findall(every)
