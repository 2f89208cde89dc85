"""`standpunt evidence list|import|add`, Zotero's CSL-JSON and [@doi:…] in check and build.

The DOI resolver is a real HTTP server on 127.0.0.1 in a thread; check and build are run with
the network switched off, to show they never use it.
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CONFIG, EVIDENCE, POSITION
from standpunt.checks.check import check_workspace
from standpunt.cli import main
from standpunt.coalition.fingerprint import position_fingerprint
from standpunt.evidence import doi as doi_module
from standpunt.workspace.read import open_workspace
from test_evidence_keys import FIELD_NAMES, ODD, VALUES


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


ZOTERO = [
    {
        "id": "http://zotero.org/users/123/items/ABCD1234",
        "type": "article-journal",
        "title": "The market for care: a study",
        "container-title": "Journal of Social Policy",
        "author": [{"family": "Claessens", "given": "Dirk"}],
        "issued": {"date-parts": [["2018", 2, 26]]},
        "DOI": "10.1080/13501763.2018.1449887",
        "page": "882-884",
    },
    {
        "id": "http://zotero.org/groups/77/items/EFGH5678",
        "type": "report",
        "title": "Market reforms",
        "author": [{"literal": "Agentschap Zorg & Gezondheid"}],
        "issued": {"date-parts": [[2021]]},
        "publisher": "AZG",
        "zoteroExtra": "x",
    },
    {
        "id": "http://zotero.org/users/local/aB3dE5fG/items/IJKL9012",
        "citation-key": "smith2021a",
        "type": "book",
        "title": "Het marktdenken",
        "author": [{"family": "Smith", "given": "Jane"}],
        "issued": {"date-parts": [[2021]]},
    },
]

IMPORTED = """\
# Imported from my library.json by 'standpunt evidence import', as CSL-YAML.
# Each entry keeps its Zotero item address under custom: zotero-uri.

- id: claessens2018market
  type: article-journal
  author:
    - family: Claessens
      given: Dirk
  issued:
    date-parts: [[2018, 2, 26]]
  title: 'The market for care: a study'
  container-title: Journal of Social Policy
  DOI: 10.1080/13501763.2018.1449887
  page: 882-884
  custom:
    zotero-uri: http://zotero.org/users/123/items/ABCD1234

- id: agentschapzorggezondheid2021market
  type: report
  author:
    - literal: Agentschap Zorg & Gezondheid
  issued:
    date-parts: [[2021]]
  title: Market reforms
  publisher: AZG
  custom:
    zotero-uri: http://zotero.org/groups/77/items/EFGH5678

- id: smith2021aa
  type: book
  author:
    - family: Smith
      given: Jane
  issued:
    date-parts: [[2021]]
  title: Het marktdenken
  custom:
    zotero-uri: http://zotero.org/users/local/aB3dE5fG/items/IJKL9012
"""

CITING = POSITION.replace("As @doe2019 shows", "As @claessens2018market shows")


def test_check_explains_zoteros_item_addresses_and_import_makes_them_citable(make_workspace):
    root = make_workspace(
        {
            "evidence/my library.json": json.dumps(ZOTERO, indent=1),
            "positions/care.yaml": CITING,
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert out.splitlines() == [
        "evidence/my library.json:3:9: warning: this looks like Zotero's CSL-JSON export: its "
        "ids are Zotero item addresses (such as http://zotero.org/users/123/items/ABCD1234), "
        "which positions cannot cite; run 'standpunt evidence import \"evidence/my library.json\"' "
        "to write it as CSL-YAML with readable keys, then remove this file [zotero-ids]",
        "evidence/my library.json:42:3: error: unknown field 'zoteroExtra' in evidence "
        "[unknown-field]",
        "positions/care.yaml:11:10: error: unknown evidence 'claessens2018market': "
        "evidence/my library.json:3:9 holds this work under its Zotero item address, which "
        "cannot be cited; run 'standpunt evidence import \"evidence/my library.json\"' to give "
        "it a readable key [unknown-citation]",
    ]

    code, out, err = run(root, "evidence", "import", str(root / "evidence" / "my library.json"))
    assert code == 0, out + err
    assert out == (
        "evidence/my library.json:42:3: warning: 'zoteroExtra' is not a CSL field Standpunt "
        "reads, or its value is not in CSL's shape; left out of the import [field-left-out]\n"
        "evidence/my library.json:46:19: warning: the key 'smith2021a' is taken already; this "
        "work is imported as 'smith2021aa' [key-taken]\n"
        "created evidence/my-library.yaml: 3 reference(s) with readable keys (see them with "
        "'standpunt evidence list')\n"
    )
    assert err == (
        "note: evidence/my library.json is still read as it is, with Zotero's item addresses "
        "as ids; remove it now that its works are in evidence/my-library.yaml\n"
    )
    assert (root / "evidence" / "my-library.yaml").read_text(encoding="utf-8") == IMPORTED

    (root / "evidence" / "my library.json").unlink()
    code, out, err = run(root, "check")
    assert (code, err) == (0, "0 error(s), 2 warning(s) in 1 position(s) and 6 evidence item(s)\n")
    assert out.splitlines() == [
        "evidence/my-library.yaml:18:7: warning: evidence 'agentschapzorggezondheid2021market' "
        "is not cited by any position [uncited-evidence]",
        "evidence/my-library.yaml:29:7: warning: evidence 'smith2021aa' is not cited by any "
        "position [uncited-evidence]",
    ]


def test_import_never_overwrites_and_writes_only_into_an_evidence_folder(make_workspace, tmp_path):
    root = make_workspace()
    source = tmp_path / "export.json"
    source.write_text(json.dumps(ZOTERO[:1]), encoding="utf-8")
    (root / "evidence" / "export.yaml").write_text("# mine\n", encoding="utf-8")
    code, out, err = run(root, "evidence", "import", str(source))
    assert (code, out) == (1, "")
    assert err == (
        "evidence/export.yaml: error: evidence/export.yaml exists already, and Standpunt does "
        "not overwrite it; to bring it up to date from a new export, keeping its keys, add "
        "--update; else choose another file with --to [file-exists]\n"
    )
    assert (root / "evidence" / "export.yaml").read_text(encoding="utf-8") == "# mine\n"

    code, out, err = run(root, "evidence", "import", str(source), "--to", str(root / "x.yaml"))
    assert (code, out) == (2, "")
    assert err == (
        "error: 'x.yaml' is not in evidence/ (or a folder 'evidence:' lists in standpunt.yaml), "
        "so Standpunt would not read it; choose a file there [usage]\n"
    )

    target = root / "evidence" / "zotero" / "mine.yml"
    code, out, err = run(root, "evidence", "import", str(source), "--to", str(target))
    assert code == 0, out + err
    assert out == (
        "created evidence/zotero/mine.yml: 1 reference(s) with readable keys (see them with "
        "'standpunt evidence list')\n"
    )
    assert err == ""
    assert target.read_text(encoding="utf-8").startswith(
        "# Imported from export.json by 'standpunt evidence import', as CSL-YAML.\n"
    )


def test_import_update_keeps_every_key_and_every_line_it_does_not_change(make_workspace, tmp_path):
    """A new export of the same Zotero library: its works keep their keys (positions cite them),
    a changed work is written anew in its own lines, a new one is added, and one the export no
    longer holds is kept and named; the user's comments stay."""
    root = make_workspace()
    source = tmp_path / "library.json"
    source.write_text(json.dumps(ZOTERO[:2]), encoding="utf-8")
    assert run(root, "evidence", "import", str(source))[0] == 0
    target = root / "evidence" / "library.yaml"
    first = target.read_text(encoding="utf-8")
    keys = [line for line in first.splitlines() if line.startswith("- id:")]
    assert keys == ["- id: claessens2018market", "- id: agentschapzorggezondheid2021market"]
    mine = first.replace(
        "- id: agentschapzorggezondheid2021market",
        "# checked against the printed report\n- id: agentschapzorggezondheid2021market",
    )
    target.write_text(mine + "# end of my list\n", encoding="utf-8")

    renamed = {**ZOTERO[0], "title": "The market for care: a study, revised"}
    new = {
        "id": "http://zotero.org/users/123/items/NEW00001",
        "type": "report",
        "title": "Poverty in Flanders",
        "author": [{"literal": "Decenniumdoelen"}],
        "issued": {"date-parts": [[2024]]},
    }
    source.write_text(json.dumps([renamed, new]), encoding="utf-8")
    code, out, err = run(root, "evidence", "import", str(source), "--update")
    assert (code, out.splitlines(), err) == (
        0,
        [
            "evidence/library.yaml:19:3: warning: 'agentschapzorggezondheid2021market' is no "
            "longer in library.json; it is kept, as a position may cite it: remove it here if "
            "none does [not-in-export]",
            "updated evidence/library.yaml: 1 new (decenniumdoelen2024poverty), 1 changed "
            "(claessens2018market: title), 0 unchanged; 1 no longer in the export, kept",
        ],
        "",
    )
    after = target.read_text(encoding="utf-8")
    assert after == (
        mine.replace(
            "title: 'The market for care: a study'",
            "title: 'The market for care: a study, revised'",
        )
        + "# end of my list\n\n"
        + after.split("# end of my list\n\n", 1)[1]
    )
    assert after.split("# end of my list\n\n", 1)[1].startswith(
        "- id: decenniumdoelen2024poverty\n"
    )
    # the same export again changes nothing, byte for byte
    code, out, _ = run(root, "evidence", "import", str(source), "--update")
    assert (code, out.splitlines()[1:]) == (
        0,
        [
            "updated evidence/library.yaml: 0 new, 0 changed, 2 unchanged; 1 no longer in the "
            "export, kept"
        ],
    )
    assert target.read_text(encoding="utf-8") == after
    assert run(root, "check")[0] == 0


def test_import_update_keeps_one_s_own_fields_works_and_comments(make_workspace, tmp_path):
    """What the officer wrote by hand in an imported file survives an update: a `quote:` or
    `note:` of their own, a comment, a work they added; a work unchanged in Zotero is not
    touched. An export saved under another name finds the file its works are in; a file that
    no import wrote is not updated."""
    root = make_workspace()
    source = tmp_path / "library.json"
    source.write_text(json.dumps(ZOTERO[:2]), encoding="utf-8")
    assert run(root, "evidence", "import", str(source))[0] == 0
    target = root / "evidence" / "library.yaml"
    mine = (
        target.read_text(encoding="utf-8")
        .replace(
            "- id: claessens2018market\n",
            "- id: claessens2018market\n  quote: care is not a market  # Els: p. 883\n",
        )
        .replace(
            "- id: agentschapzorggezondheid2021market\n",
            "- id: agentschapzorggezondheid2021market\n  # read in full\n  note: ask AZG\n",
        )
    )
    mine += "\n# added by hand\n- id: own2024\n  type: report\n  title: Own notes\n"
    target.write_text(mine, encoding="utf-8")
    again = tmp_path / "Library 2.json"  # the same library, saved under another name
    works = [{k: v for k, v in z.items() if k != "zoteroExtra"} for z in ZOTERO[:2]]
    again.write_text(json.dumps(works), encoding="utf-8")
    code, out, err = run(root, "evidence", "import", str(again), "--update")
    assert (code, out, err) == (
        0,
        "updated evidence/library.yaml: 0 new, 0 changed, 2 unchanged\n",
        "",
    )
    assert target.read_text(encoding="utf-8") == mine
    assert not (root / "evidence" / "library-2.yaml").exists()

    renamed = {**works[1], "title": "Market reforms in care"}
    again.write_text(json.dumps([renamed]), encoding="utf-8")
    code, out, err = run(root, "evidence", "import", str(again), "--update")
    assert (code, out.splitlines(), err) == (
        0,
        [
            "evidence/library.yaml:4:3: warning: 'claessens2018market' is no longer in "
            "Library 2.json; it is kept, as a position may cite it: remove it here if none does "
            "[not-in-export]",
            "updated evidence/library.yaml: 0 new, 1 changed "
            "(agentschapzorggezondheid2021market: title), 0 unchanged; 1 no longer in the "
            "export, kept",
        ],
        "",
    )
    assert target.read_text(encoding="utf-8") == mine.replace(
        "title: Market reforms", "title: Market reforms in care"
    )

    (root / "notes.yaml").write_text(mine, encoding="utf-8")  # outside evidence/
    code, out, err = run(root, "evidence", "import", str(again), "--update", "--to", "notes.yaml")
    assert (code, out, err) == (
        2,
        "",
        "error: 'notes.yaml' is not in evidence/ (or a folder 'evidence:' lists in "
        "standpunt.yaml), so Standpunt would not read it; choose a file there [usage]\n",
    )
    assert (root / "notes.yaml").read_text(encoding="utf-8") == mine
    code, out, err = run(
        root, "evidence", "import", str(again), "--update", "--to", str(root / "evidence/refs.yaml")
    )
    assert (code, out, err) == (
        1,
        "",
        "evidence/refs.yaml:1:1: error: evidence/refs.yaml was not written by 'standpunt "
        "evidence import' (no work in it keeps a 'custom: zotero-uri'), so it is not updated; "
        "name the file the export was imported into with --to [cannot-update]\n",
    )


def test_check_warns_of_a_zotero_library_imported_twice(make_workspace, tmp_path):
    """The same Zotero item under two keys (the export imported into two files): one work
    would print as two."""
    root = make_workspace()
    source = tmp_path / "library.json"
    source.write_text(json.dumps(ZOTERO[:1]), encoding="utf-8")
    assert run(root, "evidence", "import", str(source))[0] == 0
    again = root / "evidence" / "again.yaml"
    assert run(root, "evidence", "import", str(source), "--to", str(again))[0] == 0
    code, out, _ = run(root, "check")
    assert code == 0
    assert [line for line in out.splitlines() if "duplicate-zotero-item" in line] == [
        "evidence/library.yaml:16:17: warning: 'claessens2018market' is the Zotero item of "
        "'claessens2018marketa' (evidence/again.yaml:16:17, "
        "http://zotero.org/users/123/items/ABCD1234): the library was imported twice; cite one "
        "of them and remove the other entry [duplicate-zotero-item]"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"items": []}', "evidence/x.json:1:1: error: evidence/x.json is not a CSL-JSON export"),
        ("[]", "evidence/x.json:1:1: error: evidence/x.json is not a CSL-JSON export"),
        ("[1, {}]", "evidence/x.json:1:2: error: each item of a CSL-JSON file must be an object"),
        ("[{", "evidence/x.json:1:3: error: "),
    ],
)
def test_import_of_what_is_not_csl_json_writes_nothing(make_workspace, text, message):
    root = make_workspace({"evidence/x.json": text})
    code, out, err = run(root, "evidence", "import", str(root / "evidence" / "x.json"))
    assert code == 1
    assert (out + err).startswith(message)
    assert sorted(p.name for p in (root / "evidence").iterdir()) == ["refs.yaml", "x.json"]


def test_evidence_list_shows_each_entry_with_its_place(make_workspace):
    root = make_workspace(
        {"evidence/more.yaml": "- id: roe2020\n  type: book\n  title: [not text]\n"}
    )
    code, out, err = run(root, "evidence", "list")
    assert (code, err) == (0, "")
    assert [line.rstrip() for line in out.splitlines()] == [
        "key         type             author  year  title                              where",
        "roe2020     book                           (has errors: run standpunt check)  "
        "evidence/more.yaml:1:7",
        "smith2021a  report           Smith   2021  First report on care markets       "
        "evidence/refs.yaml:1:7",
        "smith2021b  report           Smith   2021  Second report on care markets      "
        "evidence/refs.yaml:10:7",
        "doe2019     article-journal  Doe     2019  Coalitions and policy              "
        "evidence/refs.yaml:19:7",
    ]


# --- DOIs in check and build -------------------------------------------------------------------

DOI_POSITION = POSITION.replace(
    "Care needs public funding [@smith2021a].",
    "Care needs [@doi:10.1234/SECOND, p. 2] public funding [@{doi:https://doi.org/10.1234/Second}]."
    " Wrong: [@doi:10.1234/secnod], [@doi:10.5555/a], [@doi:nothing], [@doi:10.9/x].",
)


def test_check_accepts_a_doi_an_entry_has_and_says_which_none_has(make_workspace):
    root = make_workspace(
        {
            "positions/care.yaml": DOI_POSITION,
            "evidence/more.yaml": (
                "- id: twin\n  title: T\n  DOI: https://doi.org/10.1234/SECOND\n"
                "- id: paren\n  title: P\n  DOI: 10.9/x(1)\n"
            ),
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert out.splitlines() == [
        "evidence/more.yaml:4:7: warning: evidence 'paren' is not cited by any position "
        "[uncited-evidence]",
        # more.yaml is read before refs.yaml: its entry is the one [@doi:…] cites
        "evidence/refs.yaml:18:8: warning: 'smith2021b' has the DOI '10.1234/second' of 'twin' "
        "(evidence/more.yaml:3:8); [@doi:10.1234/second] cites 'twin': if they are one work, "
        "remove one entry [duplicate-doi]",
        "positions/care.yaml:6:106: error: no evidence has the DOI '10.1234/secnod' (did you "
        "mean [@doi:10.1234/second], the DOI of 'twin'?); add the work with 'standpunt "
        "evidence add 10.1234/secnod', or give its entry in evidence/ this DOI "
        "[unknown-citation]",
        "positions/care.yaml:6:129: error: no evidence has the DOI '10.5555/a'; add the work "
        "with 'standpunt evidence add 10.5555/a', or give its entry in evidence/ this DOI "
        "[unknown-citation]",
        "positions/care.yaml:6:147: error: 'doi:nothing' names no DOI: after 'doi:' comes a "
        "DOI, which starts with 10. and holds a '/', such as "
        "[@doi:10.1080/13501763.2018.1449887] [unknown-citation]",
        "positions/care.yaml:6:163: error: no evidence has the DOI '10.9/x', but 'paren' has "
        "'10.9/x(1)': a DOI with such characters must be cited in braces, [@{doi:10.9/x(1)}] "
        "[unknown-citation]",
    ]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every attempt to open a connection from this process fails, and is recorded."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def _citations(html: str, text: str) -> str:
    """The text of the paragraph of ``html`` that holds ``text``, tags stripped."""
    paragraph = next(p for p in re.findall(r"<p>.*?</p>", html, re.S) if text in p)
    return re.sub(r"<[^>]+>", "", paragraph)


def test_a_work_cited_by_key_and_by_doi_is_one_work_and_nothing_uses_the_network(
    make_workspace, no_network
):
    position = POSITION.replace(
        "Care needs public funding [@smith2021a].",
        "Care needs [@doi:10.1234/SECOND, p. 2] public funding [@smith2021b]; "
        "[@{doi:https://doi.org/10.1234/Second}].",
    )
    root = make_workspace({"positions/care.yaml": position})
    code, out, err = run(root, "check")
    assert (code, out) == (0, "")
    code, out, err = run(root, "build", "--format", "html")
    assert code == 0, out + err
    html = (root / "build" / "care.html").read_text(encoding="utf-8")
    assert _citations(html, "Care needs") == (
        "Care needs (Smith, 2021b, p. 2) public funding (Smith, 2021b); (Smith, 2021b)."
    )
    assert _citations(html, "Market logic") == (
        "Market logic crowds out care (Smith, 2021a; 2021b, p. 4). As Doe (2019) shows, "
        "coalitions matter."
    )
    entries = re.findall(r'<div id="ref-([^"]+)" class="csl-entry"', html)
    assert entries == ["doe2019", "smith2021a", "smith2021b"]
    assert no_network == []


def test_the_fingerprint_holds_the_entry_a_doi_cites(make_workspace):
    position = POSITION.replace("[@smith2021a; @smith2021b, p. 4]", "[@doi:10.1234/second]")
    root = make_workspace({"positions/care.yaml": position})
    before = position_fingerprint(open_workspace(root), "care")
    evidence = root / "evidence" / "refs.yaml"
    evidence.write_text(EVIDENCE.replace("Second report", "Second reprint"), encoding="utf-8")
    assert position_fingerprint(open_workspace(root), "care") != before


# --- evidence add: a resolver on 127.0.0.1 -----------------------------------------------------

CROSSREF = {
    "indexed": {"date-parts": [[2024, 1, 1]], "date-time": "2024-01-01T00:00:00Z"},
    "reference-count": 2,
    "publisher": "Informa UK Limited",
    "issue": "6",
    "DOI": "10.1080/13501763.2018.1449887",
    "type": "article-journal",
    "page": "882-901",
    "title": "Pluralism and the market: a study",
    "volume": "25",
    "author": [
        {"given": "Sarah", "family": "Berkhout", "sequence": "first", "affiliation": []},
        {"given": "Jan", "family": "Smith", "sequence": "additional", "affiliation": []},
    ],
    "container-title": "Journal of European Public Policy",
    "ISSN": ["1350-1763", "1466-4429"],
    "issued": {"date-parts": [[2018, 4, 3]]},
    "abstract": "<jats:p>Long.</jats:p>",
    "reference": [{"key": "ref1"}],
    "URL": "https://doi.org/10.1080/13501763.2018.1449887",
}

ADDED = """\

- id: berkhout2018pluralism
  type: article-journal
  author:
    - family: Berkhout
      given: Sarah
    - family: Smith
      given: Jan
  issued:
    date-parts: [[2018, 4, 3]]
  title: 'Pluralism and the market: a study'
  container-title: Journal of European Public Policy
  publisher: Informa UK Limited
  issue: '6'
  DOI: 10.1080/13501763.2018.1449887
  page: 882-901
  volume: '25'
  ISSN: 1350-1763, 1466-4429
  URL: https://doi.org/10.1080/13501763.2018.1449887
"""

Answer = tuple[int, dict[str, str], bytes]


class Resolver:
    """A DOI resolver on 127.0.0.1: ``answers`` maps a path to (status, headers, body);
    ``requests`` records each request's path and Accept header."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer | Callable[[], Answer]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.release = threading.Event()
        resolver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                resolver.requests.append((self.path, self.headers["Accept"]))
                answer = resolver.answers.get(self.path, (404, {}, b"not found"))
                status, headers, body = answer() if callable(answer) else answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def resolver() -> Iterator[Resolver]:
    server = Resolver()
    yield server
    server.stop()


def _csl(data: object) -> Answer:
    return (
        200,
        {"Content-Type": "application/vnd.citationstyles.csl+json"},
        json.dumps(data).encode(),
    )


def with_resolver(make_workspace, url: str) -> Path:
    return make_workspace({"standpunt.yaml": CONFIG + f"doi_resolver: {url}\n"})


def test_add_fetches_by_content_negotiation_and_appends_with_a_readable_key(
    make_workspace, resolver
):
    doi = "10.1080/13501763.2018.1449887"
    resolver.answers[f"/{doi}"] = (302, {"Location": f"/agency/{doi}"}, b"")
    resolver.answers[f"/agency/{doi}"] = _csl(CROSSREF)
    root = with_resolver(make_workspace, resolver.url.removesuffix("/"))
    code, out, err = run(
        root,
        "evidence",
        "add",
        f"https://doi.org/{doi.upper()}",
        "--to",
        str(root / "evidence" / "refs.yaml"),
    )
    assert (code, err) == (0, ""), out + err
    assert out == (
        f"added {doi} as 'berkhout2018pluralism' to evidence/refs.yaml:30; cite it as "
        f"[@berkhout2018pluralism] or [@doi:{doi}]\n"
    )
    accept = "application/vnd.citationstyles.csl+json"
    assert resolver.requests == [(f"/{doi}", accept), (f"/agency/{doi}", accept)]
    assert (root / "evidence" / "refs.yaml").read_text(encoding="utf-8") == EVIDENCE + ADDED

    code, out, err = run(root, "evidence", "add", doi)
    assert (code, out) == (1, "")
    assert err == (
        f"evidence/refs.yaml:43:8: error: the DOI {doi} is in the evidence already, as "
        f"'berkhout2018pluralism'; cite it as [@berkhout2018pluralism] or [@doi:{doi}] "
        "[doi-present]\n"
    )
    assert len(resolver.requests) == 2  # known already: not asked again
    code, out, err = run(root, "check")
    assert code == 0, out + err


def test_add_writes_evidence_doi_yaml_by_default_with_a_key_not_taken(make_workspace, resolver):
    work = {"author": [{"family": "Doe"}], "issued": {"date-parts": [[2019]]}, "title": "The Deal"}
    resolver.answers["/10.1/a"] = _csl({**work, "type": "book", "DOI": "10.1/A"})
    resolver.answers["/10.1/b"] = _csl({**work, "type": "report"})  # no DOI in the answer
    root = with_resolver(make_workspace, resolver.url)
    code, out, err = run(root, "evidence", "add", "doi:10.1/a")
    assert (code, err) == (0, "")
    assert out == (
        "added 10.1/a as 'doe2019deal' to evidence/doi.yaml:3; cite it as [@doe2019deal] or "
        "[@doi:10.1/a]\n"
    )
    code, out, err = run(root, "evidence", "add", "10.1/B")
    assert (code, err) == (0, "")
    assert out == (
        "added 10.1/b as 'doe2019deala' to evidence/doi.yaml:12; cite it as [@doe2019deala] "
        "or [@doi:10.1/b]\n"
    )
    assert (root / "evidence" / "doi.yaml").read_text(encoding="utf-8") == (
        "# References added by 'standpunt evidence add', as CSL-YAML.\n"
        "\n"
        "- id: doe2019deal\n"
        "  type: book\n"
        "  author:\n"
        "    - family: Doe\n"
        "  issued:\n"
        "    date-parts: [[2019]]\n"
        "  title: The Deal\n"
        "  DOI: 10.1/A\n"
        "\n"
        "- id: doe2019deala\n"
        "  type: report\n"
        "  author:\n"
        "    - family: Doe\n"
        "  issued:\n"
        "    date-parts: [[2019]]\n"
        "  title: The Deal\n"
        "  DOI: 10.1/b\n"
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            None,
            "error: the DOI 10.1/x was not found at {url} (404): check it for typos; a DOI looks "
            "like 10.1080/13501763.2018.1449887 [doi-not-found]",
        ),
        (
            (200, {"Content-Type": "text/html"}, b"<html>landing page</html>"),
            "error: the answer of {url} for 10.1/x is not JSON (text/html); the agency that "
            "registered this DOI may not offer citation data: write its entry in evidence/ "
            "yourself [doi-not-csl-json]",
        ),
        (
            _csl(["a", "b"]),
            "error: the answer of {url} for 10.1/x is JSON, but not a CSL-JSON item; the agency "
            "that registered this DOI may not offer citation data: write its entry in evidence/ "
            "yourself [doi-not-csl-json]",
        ),
        (
            (406, {}, b""),
            "error: the agency that registered 10.1/x offers no citation data (CSL-JSON) for it "
            "(406); write its entry in evidence/ yourself [doi-no-citation-data]",
        ),
        (
            (503, {}, b""),
            "error: {url} answered 503 Service Unavailable for 10.1/x; try again later "
            "[doi-resolver-failed]",
        ),
        (
            (302, {"Location": "file:///etc/passwd"}, b""),
            "error: {url} sent the request for 10.1/x on to an address Standpunt does not "
            "follow (Found - Redirection to url 'file:///etc/passwd' is not allowed); check the "
            "doi_resolver setting in standpunt.yaml [doi-resolver-failed]",
        ),
        (
            _csl({**CROSSREF, "abstract": "x" * 5000}),
            "error: the answer of {url} for 10.1/x is larger than 4 kB, which no citation data "
            "is; check the doi_resolver setting in standpunt.yaml [doi-answer-too-large]",
        ),
    ],
)
def test_add_says_what_went_wrong_and_writes_nothing(
    make_workspace, resolver, monkeypatch, answer, message
):
    monkeypatch.setattr(doi_module, "MAX_ANSWER", 4096)
    if answer is not None:
        resolver.answers["/10.1/x"] = answer
    root = with_resolver(make_workspace, resolver.url)
    code, out, err = run(root, "evidence", "add", "10.1/x")
    assert (code, out) == (1, "")
    assert err == message.format(url=resolver.url) + "\n"
    assert not (root / "evidence" / "doi.yaml").exists()


def test_add_when_the_network_is_down_or_slow(make_workspace, resolver, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    root = with_resolver(make_workspace, f"http://127.0.0.1:{port}/")
    code, out, err = run(root, "evidence", "add", "10.1/x")
    assert (code, out) == (1, "")
    assert err == (
        f"error: could not reach http://127.0.0.1:{port}/ to look up 10.1/x (Connection "
        "refused); check the network connection, or the doi_resolver setting in "
        "standpunt.yaml [doi-unreachable]\n"
    )

    def never() -> Answer:
        resolver.release.wait()  # held until the test ends
        return _csl(CROSSREF)

    resolver.answers["/10.1/slow"] = never
    monkeypatch.setattr(doi_module, "TIMEOUT", 0.2)
    root = with_resolver(make_workspace, resolver.url)
    code, out, err = run(root, "evidence", "add", "10.1/slow")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {resolver.url} did not answer for 10.1/slow within 0.2 seconds; check the "
        "network connection and try again [doi-timeout]\n"
    )
    assert not (root / "evidence" / "doi.yaml").exists()


@pytest.mark.parametrize(
    ("value", "column"),
    [("ftp://example.org/", 15), ("doi.org", 15), ("https://x/?a=1", 15), ("'http://u:p@x/'", 15)],
)
def test_the_resolver_setting_is_checked_at_its_line(make_workspace, value, column):
    root = make_workspace({"standpunt.yaml": CONFIG + f"doi_resolver: {value}\n"})
    code, out, err = run(root, "check")
    written = value.strip("'")
    assert code == 1
    assert (out + err).startswith(
        f"standpunt.yaml:11:{column}: error: 'doi_resolver': '{written}' is not a DOI "
        "resolver's address; write an http or https address to which the DOI is appended, "
        "such as https://doi.org/ [invalid-value]"
    )


def test_add_refuses_what_is_no_doi_without_asking_anyone(make_workspace, resolver):
    root = with_resolver(make_workspace, resolver.url)
    code, out, err = run(root, "evidence", "add", "nonsense")
    assert (code, out) == (2, "")
    assert err == (
        "error: 'nonsense' is not a DOI; a DOI starts with 10. and holds a '/', such as "
        "10.1080/13501763.2018.1449887 (https://doi.org/… is fine too) [usage]\n"
    )
    assert resolver.requests == []


def test_a_bug_in_a_command_of_the_group_names_the_whole_command(make_workspace, monkeypatch):
    from standpunt.commands import evidence

    def boom(root: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(evidence, "list_evidence", boom)
    code, out, err = run(make_workspace(), "evidence", "list")
    assert (code, out) == (3, "")
    assert err.startswith("standpunt evidence list: unexpected error (RuntimeError: boom).\n")
    assert err.endswith("(standpunt --debug evidence list ...).\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.dictionaries(FIELD_NAMES | ODD, VALUES, max_size=6), max_size=4))
@example(items=[{"title": None, "custom": "0"}])  # custom that is no mapping: once a crash
def test_any_zotero_export_gives_diagnostics_or_a_file_never_a_traceback(tmp_path_factory, items):
    root = tmp_path_factory.mktemp("zotero") / "ws"
    for relative, text in {"standpunt.yaml": CONFIG, "positions/care.yaml": CITING}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    # 'type' is text here: a list as 'type' trips the evidence schema's own check (a
    # TypeError in the evidence field checks), which the evidence loader's work answers for.
    export = [
        {**item, "type": str(item.get("type")), "id": f"http://zotero.org/users/1/items/K{n}"}
        for n, item in enumerate(items)
    ]
    source = root / "evidence" / "export.json"
    source.parent.mkdir()
    source.write_text(json.dumps(export, default=str), encoding="utf-8")
    report = check_workspace(open_workspace(root))
    assert all(d.location is not None for d in report.problems.items)
    code, out, err = run(root, "evidence", "import", str(source))
    assert code in (0, 1), out + err
    assert "unexpected error" not in err
    if code == 0:
        written = yaml.safe_load((root / "evidence" / "export.yaml").read_text(encoding="utf-8"))
        assert [entry["custom"]["zotero-uri"] for entry in written] == [i["id"] for i in export]


def test_evidence_list_without_evidence_says_how_to_add_some(make_workspace):
    root = make_workspace({"evidence/refs.yaml": "# nothing yet\n"})
    assert run(root, "evidence", "list") == (
        0,
        "no evidence yet: add reference files to evidence/, or a work with 'standpunt evidence "
        "add DOI'\n",
        "",
    )


# --- the same book under two keys -----------------------------------------------------------


def test_check_warns_of_one_book_under_two_keys_by_its_isbn(make_workspace):
    """An ISBN-10 and the ISBN-13 it became are one book; chapters of one book share its ISBN
    and are two works; a number whose check digit is wrong is no ISBN."""
    root = make_workspace(
        {
            "positions/care.yaml": POSITION.replace(
                "Fund care publicly [@doe2019].",
                "Fund care publicly [@doe2019; @book13; @book10; @ch1; @ch2; @odd1; @odd2; "
                "@sup1; @sup2; @zot].",
            ),
            "evidence/books.yaml": (
                "- id: book13\n  type: book\n  title: B\n  ISBN: 978-0-306-40615-7\n"
                "- id: book10\n  type: book\n  title: B again\n  isbn: 'ISBN: 0-306-40615-2'\n"
                "- id: ch1\n  type: chapter\n  title: C1\n  ISBN: 978-90-209-8765-3\n"
                "- id: ch2\n  type: chapter\n  title: C2\n  ISBN: 978-90-209-8765-3\n"
                "- id: odd1\n  type: book\n  title: O1\n  ISBN: 978-0-306-40615-8\n"
                "- id: odd2\n  type: book\n  title: O2\n  ISBN: 978-0-306-40615-8\n"
                # digits of other scripts are no ISBN (and int() would refuse them)
                "- id: sup1\n  type: book\n  title: S1\n  ISBN: '978030640615²'\n"
                "- id: sup2\n  type: book\n  title: S2\n  ISBN: '978030640615²'\n"
            ),
            "evidence/zotero.json": json.dumps(
                [{"id": "zot", "type": "report", "title": "Z", "ISBN": "9780306406157 123"}]
            ),
        }
    )
    code, out, err = run(root, "check")
    assert (code, out.splitlines(), err.splitlines()) == (
        0,
        [
            "evidence/books.yaml:8:9: warning: 'book10' has the ISBN 0-306-40615-2 of 'book13' "
            "(evidence/books.yaml:4:9, written there as 978-0-306-40615-7): if they are one "
            "book, cite one of them and remove the other entry; if they are parts of one book, "
            "give each 'type: chapter' [duplicate-isbn]",
            "evidence/zotero.json:1:56: warning: 'zot' has the ISBN 9780306406157 of 'book13' "
            "(evidence/books.yaml:4:9): if they are one book, cite one of them and remove the "
            "other entry; if they are parts of one book, give each 'type: chapter' "
            "[duplicate-isbn]",
        ],
        ["0 error(s), 2 warning(s) in 1 position(s) and 12 evidence item(s)"],
    )
