"""The schema's words for wrong values: fixed vocabularies and render limits, each declared once."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel

from standpunt.choices import PDF_VARIANTS, STATUSES
from standpunt.errors import Location
from standpunt.limits import Limits, read_limits
from standpunt.workspace.load import parse_yaml
from standpunt.workspace.schema import Config, MarkdownMark, Position, validate
from standpunt.workspace.texts import ask_key, section_key, texts

CONFIG = "organisation: {name: X}\n"
POSITION = "title: x\nsections: [{title: a, body: b}]\n"


def problems(model: type[Any], text: str, path: str) -> list[str]:
    """What ``check`` prints for ``text`` validated as ``model``."""
    found, diagnostics = validate(model, parse_yaml(text, path), Location(path))
    assert (found is None) == bool(diagnostics)
    return [str(d) for d in diagnostics]


# --------------------------------------------------------------------------- the texts


def _is_markdown(hint: Any) -> bool:
    """Whether a field's type is the schema's Markdown (also inside a list or an optional)."""
    marks = getattr(hint, "__metadata__", ())
    return any(isinstance(m, MarkdownMark) for m in marks) or any(
        _is_markdown(arg) for arg in typing.get_args(hint)
    )


def _models(hint: Any) -> list[type[BaseModel]]:
    """The models a field's type holds (a section, a list of sections, an author)."""
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return [hint]
    return [model for arg in typing.get_args(hint) for model in _models(arg)]


def _markdown_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every field below ``model`` whose type the schema marks as Markdown."""
    found: set[tuple[str, ...]] = set()
    for name, hint in typing.get_type_hints(model, include_extras=True).items():
        if _is_markdown(hint):
            found.add((*prefix, name))
        for nested in _models(hint):
            found |= _markdown_fields(nested, (*prefix, name))
    return found


def test_the_schema_marks_as_markdown_exactly_the_texts_declared_markdown() -> None:
    """workspace/texts.py says which texts are Markdown; the schema's types must agree."""
    position = {
        "title": "T",
        "subtitle": "S",
        "summary": "Su",
        "sections": [{"title": "ST", "body": "SB", "quote": "SQ"}],
        "recommendations": ["R"],
    }
    declared = {
        tuple(step for step in text.path if isinstance(step, str)): text.markdown
        for text in texts(position, markdown_only=False)
    }
    assert declared == {
        ("title",): False,
        ("subtitle",): False,
        ("summary",): True,
        ("sections", "title"): False,
        ("sections", "body"): True,
        ("sections", "quote"): True,
        ("recommendations",): True,
    }
    assert _markdown_fields(Position) == {path for path, markdown in declared.items() if markdown}


def test_each_text_has_the_key_the_template_takes_it_back_by() -> None:
    position = {
        "title": "T",
        "summary": "Su",
        "sections": [{"title": "A", "body": "B"}, {"title": "C", "body": "D", "quote": "Q"}],
        "recommendations": ["R1", "R2"],
    }
    assert [text.key for text in texts(position)] == [
        "summary",
        "sections.1.body",
        "sections.2.body",
        "sections.2.quote",
        "recommendations.1",
        "recommendations.2",
    ]
    assert (section_key(2, "quote"), ask_key(2)) == ("sections.2.quote", "recommendations.2")


# --------------------------------------------------------------------------- vocabularies


def test_the_vocabularies_are_the_schemas_own() -> None:
    assert STATUSES == ("draft", "consultation", "adopted", "withdrawn")
    assert PDF_VARIANTS == ("pdf/ua-1", "pdf/a-3b", "none")
    for status in STATUSES:
        assert problems(Position, POSITION + f"status: {status}\n", "positions/x.yaml") == []
    for variant in PDF_VARIANTS:
        assert problems(Config, CONFIG + f"pdf_variant: {variant}\n", "standpunt.yaml") == []


def test_a_wrong_status_is_matched_against_the_statuses() -> None:
    assert problems(Position, POSITION + "status: adoptd\n", "positions/x.yaml") == [
        "positions/x.yaml:3:9: error: 'status' cannot be 'adoptd' (did you mean 'adopted'?); "
        "allowed: 'draft', 'consultation', 'adopted' or 'withdrawn' [invalid-value]"
    ]


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("pdf/ua-2", " (did you mean 'pdf/ua-1'?)"),
        ("PDF/A-3b", " (did you mean 'pdf/a-3b'?)"),
        # a status is no PDF variant: no suggestion from another field's values
        ("adoptd", ""),
    ],
)
def test_a_wrong_pdf_variant_is_matched_against_the_pdf_variants(written: str, hint: str) -> None:
    assert problems(Config, CONFIG + f"pdf_variant: {written}\n", "standpunt.yaml") == [
        f"standpunt.yaml:2:14: error: 'pdf_variant' cannot be '{written}'{hint}; "
        "allowed: 'pdf/ua-1', 'pdf/a-3b' or 'none' [invalid-value]"
    ]


# --------------------------------------------------------------------------- limits


def test_limits_are_one_declaration() -> None:
    assert Limits() == Limits(seconds=120.0, memory_mb=2048, pages=500)
    config, _ = validate(Config, parse_yaml(CONFIG, "standpunt.yaml"), Location("standpunt.yaml"))
    assert config is not None and config.limits == Limits()
    text = CONFIG + "limits: {pages: '12', seconds: 0.25, memory_mb: 300}\n"
    config, _ = validate(Config, parse_yaml(text, "standpunt.yaml"), Location("standpunt.yaml"))
    assert config is not None and config.limits == Limits(seconds=0.25, memory_mb=300, pages=12)


PAGES_RANGE = "write a whole number of pages from 1 to 100000 (leave it out for the default, 500)"
SECONDS_RANGE = "write a number of seconds more than 0 to 3600 (leave it out for the default, 120)"
MEMORY_RANGE = "write a whole number of MB from 256 to 65536 (leave it out for the default, 2048)"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "{pages: 0}",
            "2:17: error: 'limits.pages' cannot be 0: " + PAGES_RANGE,
        ),
        (
            "{seconds: 0}",
            "2:19: error: 'limits.seconds' cannot be 0: " + SECONDS_RANGE,
        ),
        (
            "{seconds: 3601}",
            "2:19: error: 'limits.seconds' cannot be 3601: " + SECONDS_RANGE,
        ),
        (
            "{memory_mb: 255}",
            "2:21: error: 'limits.memory_mb' cannot be 255: " + MEMORY_RANGE,
        ),
        (
            "{memory_mb: 65537}",
            "2:21: error: 'limits.memory_mb' cannot be 65537: " + MEMORY_RANGE,
        ),
        (
            "{pages: 100001}",
            "2:17: error: 'limits.pages' cannot be 100001: " + PAGES_RANGE,
        ),
        (
            "{pages: x}",
            "2:17: error: 'limits.pages' cannot be x: " + PAGES_RANGE,
        ),
        (
            "{pages: [1]}",
            "2:17: error: 'limits.pages' cannot be ['1']: " + PAGES_RANGE,
        ),
        ("[]", "2:9: error: 'limits' should be a set of fields (key: value)"),
        ("5", "2:9: error: 'limits' should be a set of fields (key: value)"),
        ("", "2:1: error: 'limits' should be a set of fields (key: value)"),
    ],
)
def test_wrong_limits_point_at_the_value(written: str, message: str) -> None:
    assert problems(Config, CONFIG + f"limits: {written}\n", "standpunt.yaml") == [
        f"standpunt.yaml:{message} [invalid-value]"
    ]


def test_an_unknown_limit_is_an_unknown_field_with_a_suggestion() -> None:
    assert problems(Config, CONFIG + "limits: {secnds: 3, memory: 300}\n", "standpunt.yaml") == [
        "standpunt.yaml:2:10: error: unknown field 'secnds' (did you mean 'seconds'?) "
        "[unknown-field]",
        "standpunt.yaml:2:21: error: unknown field 'memory' (did you mean 'memory_mb'?) "
        "[unknown-field]",
    ]


@pytest.mark.parametrize(
    ("written", "limits"),
    [
        (None, Limits()),
        ("not a mapping", Limits()),
        ({"pages": "12", "seconds": " 3 ", "memory_mb": "300"}, Limits(3.0, 300, 12)),
        ({"seconds": "0.25"}, Limits(seconds=0.25)),
        # what the schema refuses keeps its default: out of bounds, not a number, NaN
        ({"pages": "0", "memory_mb": "100", "seconds": "3601"}, Limits()),
        ({"pages": "many", "memory_mb": "1.5", "seconds": "nan"}, Limits()),
        ({"pages": ["1"], "seconds": None}, Limits()),
    ],
)
def test_the_build_reads_the_limits_before_the_schema(written: object, limits: Limits) -> None:
    assert read_limits(written) == limits
