"""The schema of every file a workspace holds, each declared once.

Files are read by :mod:`standpunt.workspace.load`, which keeps every scalar as the string written;
these pydantic models convert types (dates, statuses, language tags) and reject unknown fields.
:func:`validate` turns pydantic's findings into diagnostics that point at the offending value,
worded for the people who edit these files. Evidence is checked field by field, without a model,
in :mod:`standpunt.workspace.csl`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

# No pydantic plugin runs in Standpunt: an installed package's plugin would see every value of
# every (hostile) file, and looking for plugins reads every installed package's entry points on
# each run, before the first model is made (about 20 ms of every command that reads a file).
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from standpunt import i18n
from standpunt.choices import DEFAULT_PDF_VARIANT, DEFAULT_STATUS, EMAIL, PdfVariant, Status
from standpunt.errors import Diagnostic, Location, did_you_mean
from standpunt.limits import Limits, limit_range
from standpunt.workspace.load import YamlList, YamlMapping, locate

#: BCP 47, the shape pandoc, CSL and Babel understand: language, then subtags.
LANG_PATTERN = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*")


def _lang_tag(value: str) -> str:
    if not LANG_PATTERN.fullmatch(value):
        raise ValueError(f"'{value}' is not a language tag; write e.g. nl-BE, nl, fr, en or de")
    problem = i18n.unknown_language(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("this text is empty; write something or remove the field")
    return value


@dataclasses.dataclass(frozen=True)
class MarkdownMark:
    """Marks a field's type as pandoc Markdown, so a test can compare it with the texts' own list.

    Which fields hold Markdown is declared in :mod:`standpunt.workspace.texts`; this schema
    only validates them, and ``tests/test_schema.py`` checks the two agree.
    """


LangTag = Annotated[str, AfterValidator(_lang_tag)]
#: Words that are not blank: a name, a title.
NonEmpty = Annotated[str, AfterValidator(_nonempty)]
#: pandoc Markdown, not blank; may hold citations.
Markdown = Annotated[str, AfterValidator(_nonempty), MarkdownMark()]


class Model(BaseModel):
    """Strict about names, lenient about how a value was written (it arrives as a string)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


# --- standpunt.yaml -------------------------------------------------------------------------


class ResponsiblePublisher(Model):
    """The person the law holds responsible for printed matter (Belgium's "verantwoordelijke
    uitgever" / "éditeur responsable", Germany's "V.i.S.d.P."): a name and a postal address."""

    name: NonEmpty
    address: NonEmpty


class Organisation(Model):
    name: NonEmpty
    short: str | None = None
    website: str | None = None
    logo: str | None = Field(None, description="path of an image inside the workspace")
    contact: str | None = Field(
        None, description="where readers reach us: an e-mail address, a web address or a phone"
    )
    licence: str | None = None
    responsible_publisher: ResponsiblePublisher | None = Field(
        None, description="name and address printed in every PDF's colophon, as the law asks"
    )


#: How a position's first page is laid out: a brief (title, key message and asks on page 1), a
#: report (a cover first), or chosen by its length.
Layout = Literal["auto", "brief", "report"]


HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _key_lines(value: Any) -> Any:
    # Keys may be written as a list, or as one text with a key on each line (a pasted .pub or
    # allowed_signers file); blank lines and # comments are left out.
    if isinstance(value, str):
        lines = (line.strip() for line in value.splitlines())
        return [line for line in lines if line and not line.startswith("#")]
    return value


def _colour(value: str) -> str:
    if not HEX_COLOUR.fullmatch(value):
        raise ValueError(f"'{value}' is not a colour; write it as #RRGGBB, e.g. #0b5a6e")
    return value


#: Where ``standpunt evidence add`` asks for a DOI's citation data unless standpunt.yaml says
#: otherwise (``doi_resolver:``): the DOI Foundation's resolver, which hands the request on to the
#: agency that registered the DOI (Crossref, DataCite, mEDRA, …).
DEFAULT_DOI_RESOLVER = "https://doi.org/"


def _resolver(value: str) -> str:
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018 -- urlsplit judges the port only when asked for it
        port_ok = True
    except ValueError:
        port_ok = False
    if (
        not port_ok
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"'{value}' is not a DOI resolver's address; write an http or https address to "
            f"which the DOI is appended, such as {DEFAULT_DOI_RESOLVER}"
        )
    return value.strip() if value.strip().endswith("/") else value.strip() + "/"


class Partner(Model):
    name: NonEmpty
    short: str | None = None
    website: str | None = None
    logo: str | None = Field(None, description="path of an image inside the workspace")
    colour: Annotated[str, AfterValidator(_colour)] | None = Field(
        None, description="the partner's colour for its edition's cover, as #RRGGBB"
    )
    keys: Annotated[list[NonEmpty], BeforeValidator(_key_lines)] = Field(
        default_factory=list,
        description="the partner's SSH public keys, one a line (as in ~/.ssh/id_ed25519.pub or "
        "an allowed_signers file); a signature counts as verified only when one of them made it",
    )


class Attach(Model):
    """What a PDF embeds for ``import`` and ``verify``. ``attach: false`` is short for
    ``{sources: false}``, ``attach: true`` for the defaults."""

    sources: bool = Field(
        True, description="embed the position, its evidence, signatures and partners"
    )
    notes: bool = Field(
        False,
        description="also embed the evidence's 'note' and 'quote' fields (internal by default)",
    )


_YES = frozenset({"true", "yes", "on"})
_NO = frozenset({"false", "no", "off"})


def _attach(value: Any) -> Any:
    if isinstance(value, bool):
        return {"sources": value}
    if isinstance(value, str):
        if value.strip().lower() in _YES | _NO:
            return {"sources": value.strip().lower() in _YES}
        raise ValueError("write true, false, or the settings, e.g. {notes: true}")
    return value


class Config(Model):
    """standpunt.yaml: who we are, our partners, and the defaults of every position."""

    organisation: Organisation
    lang: LangTag = "en"
    style: NonEmpty = Field("apa", description="a CSL style name or a path to a .csl file")
    template: NonEmpty = "default"
    layout: Layout = Field(
        "auto",
        description="brief: page 1 holds title, key message and asks; report: a cover first; "
        "auto: a report when the sections are long",
    )
    partners: dict[str, Partner] = Field(default_factory=dict)
    labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="per language (nl, fr, en, de), labels to replace"
    )
    pdf_variant: PdfVariant = DEFAULT_PDF_VARIANT
    # A stdlib dataclass: pydantic validates it with the bounds it declares, and it inherits
    # this model's refusal of unknown fields.
    limits: Limits = Field(default_factory=Limits)
    evidence: list[NonEmpty] = Field(
        default_factory=list,
        description="further evidence folders inside the workspace, read like evidence/ "
        "(a shared library in a git submodule, say)",
    )
    doi_resolver: Annotated[str, AfterValidator(_resolver)] = Field(
        DEFAULT_DOI_RESOLVER,
        description="the address 'standpunt evidence add' appends a DOI to, to ask for its "
        "citation data (CSL-JSON); check and build never use the network",
    )
    signatures: Literal["recorded", "verified"] = Field(
        "recorded",
        description="verified: only signatures made with a key listed for the partner count",
    )
    attach: Annotated[Attach, BeforeValidator(_attach)] = Field(
        default=Attach(sources=True, notes=False),
        description="what PDFs embed for import and verify",
    )


# --- positions -------------------------------------------------------------------------------


#: A telephone number as people write one: digits, spaces and + ( ) - . / (at most 40).
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{3,38}[0-9]")


def _phone(value: str) -> str:
    value = value.strip()
    if not PHONE.fullmatch(value):
        raise ValueError(
            "this is not a telephone number: write digits, spaces and + ( ) - . /, "
            "such as +32 3 123 45 67"
        )
    return value


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL.fullmatch(value):
        raise ValueError("this is not an e-mail address: write it as name@example.org")
    return value


class Author(Model):
    name: NonEmpty
    affiliation: str | None = None
    email: Annotated[str, AfterValidator(_email)] | None = Field(
        None, description="printed beside the name as a mailto: link"
    )
    role: str | None = Field(
        None, description="what they do, printed beside the name: 'beleidsmedewerker'"
    )
    phone: Annotated[str, AfterValidator(_phone)] | None = Field(
        None, description="a telephone number for readers, printed as a link: '+32 3 123 45 67'"
    )


def _author(value: Any) -> Any:
    # A plain name is the short form of {name: …}.
    return {"name": value} if isinstance(value, str) else value


class Section(Model):
    title: NonEmpty
    body: Markdown
    quote: Markdown | None = Field(None, description="an optional pull quote")


FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")


def _fingerprint(value: str) -> str:
    if not FINGERPRINT.fullmatch(value):
        raise ValueError("this is not a fingerprint: 'sha256:' and 64 hexadecimal digits")
    return value


class Origin(Model):
    """Where an imported position came from, as ``standpunt import`` recorded it: while the
    text keeps this fingerprint, its PDF names this publisher and version."""

    publisher: Organisation
    version: str | None = Field(None, description="the publisher's version label")
    commit: str | None = Field(None, description="the publisher's commit of this text")
    date: dt.date | None = Field(None, description="the date of that commit")
    fingerprint: Annotated[str, AfterValidator(_fingerprint)]


class Consultation(Model):
    """How to respond to a position in consultation, printed on its first page."""

    deadline: dt.date | None = Field(None, description="the last day for responses, YYYY-MM-DD")
    address: str | None = Field(
        None, description="where responses go: an e-mail address, a web address or a postal one"
    )


class Position(Model):
    """positions/<id>.yaml: one public position of the organisation."""

    title: NonEmpty
    subtitle: str | None = None
    version: str | None = Field(None, description="an optional version label such as 1.2")
    lang: LangTag | None = None
    date: dt.date | None = None
    status: Status = DEFAULT_STATUS
    consultation: Consultation | None = Field(
        None, description="for a position in consultation: the deadline and address for responses"
    )
    layout: Layout | None = Field(None, description="brief, report or auto; as standpunt.yaml")
    authors: list[Annotated[Author, BeforeValidator(_author)]] = Field(default_factory=list)
    summary: Markdown | None = None
    sections: list[Section] = Field(min_length=1)
    recommendations: list[Markdown] = Field(default_factory=list)
    signatories: list[str] = Field(default_factory=list)
    tags: list[NonEmpty] = Field(default_factory=list)
    origin: Origin | None = Field(
        None, description="written by 'standpunt import': the publisher and version imported"
    )


# --- from pydantic's findings to the user's words -------------------------------------------

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], raw: Any, where: Location) -> tuple[M | None, list[Diagnostic]]:
    """Validate ``raw`` (located YAML) against ``model``; diagnostics point at the values."""
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        errors = exc.errors()
    found = [(_user_path(raw, e["loc"]), _diagnostic(model, raw, e, where)) for e in errors]
    # A field written under another name ('titel') is one mistake: its "unknown field ...
    # did you mean 'title'?" says it, and "'title' is required but missing" is left out.
    meant = {
        (tuple(path[:-1]), hinted.group(1))
        for path, d in found
        if d.code == "unknown-field" and (hinted := _MEANT.search(d.message))
    }
    return None, [
        d
        for path, d in found
        if not (d.code == "missing-field" and (tuple(path[:-1]), str(path[-1])) in meant)
    ]


#: The field a did-you-mean hint names.
_MEANT = re.compile(r"\(did you mean '([^']+)'")
#: Field names and values as a Dutch, French or German writer may first write them: the
#: files' names are English, and a translation is no near spelling to guess from.
TRANSLATED = {
    "titel": "title", "titre": "title", "ondertitel": "subtitle", "sous-titre": "subtitle",
    "untertitel": "subtitle", "samenvatting": "summary", "résumé": "summary",
    "resume": "summary", "zusammenfassung": "summary", "secties": "sections",
    "hoofdstukken": "sections", "abschnitte": "sections", "aanbevelingen": "recommendations",
    "vragen": "recommendations", "recommandations": "recommendations",
    "empfehlungen": "recommendations", "auteurs": "authors", "auteur": "authors",
    "autoren": "authors", "datum": "date", "taal": "lang", "langue": "lang",
    "sprache": "lang", "trefwoorden": "tags", "mots-clés": "tags", "schlagwörter": "tags",
    "ondertekenaars": "signatories", "signataires": "signatories",
    "unterzeichner": "signatories", "tekst": "body", "texte": "body", "text": "body",
    "concept": "draft", "ontwerp": "draft", "brouillon": "draft", "entwurf": "draft",
    "goedgekeurd": "adopted", "aangenomen": "adopted", "adopté": "adopted",
    "angenommen": "adopted", "ingetrokken": "withdrawn", "retiré": "withdrawn",
    "zurückgezogen": "withdrawn", "consultatie": "consultation", "raadpleging": "consultation",
}  # fmt: skip


def _hint(word: str, candidates: Sequence[str]) -> str:
    """:func:`did_you_mean`, or the English name of a field or value written in Dutch, French
    or German."""
    hint = did_you_mean(word, candidates)
    english = TRANSLATED.get(word.lower())
    if not hint and english in candidates:
        hint = f" (did you mean '{english}'? fields and values are written in English)"
    return hint


def _key_loc(raw: Any, path: Sequence[str | int], default: Location) -> Location:
    parent = raw
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return locate(raw, path, default)
    if isinstance(parent, YamlMapping) and path and path[-1] in parent.key_locs:
        return parent.key_locs[str(path[-1])]
    return locate(raw, path, default)


def _fields_of(cls: Any) -> dict[str, Any]:
    """The fields of a model or dataclass, by the name written in files, with their types;
    empty for anything else."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return {info.alias or name: info.annotation for name, info in cls.model_fields.items()}
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        return typing.get_type_hints(cls, include_extras=True)
    return {}


def _record(annotation: Any) -> Any:
    """The model or dataclass a type holds (``list[Section]``, ``Author | None``), else the type."""
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _record(arg)
        if _fields_of(found):
            return found
    if getattr(annotation, "__metadata__", None):
        return _record(annotation.__origin__)
    return annotation


def _declared(model: type[BaseModel], path: Sequence[str | int]) -> Any:
    """The type the schema declares for the value at ``path``; None where it declares none."""
    current: Any = model
    for step in path:
        if isinstance(step, int):
            continue  # an item of a list: the list's type holds the item's
        current = _fields_of(_record(current)).get(step)
        if current is None:
            return None
    return current


def _field_names(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """The names allowed where ``path`` ends, for did-you-mean."""
    return list(_fields_of(_record(_declared(model, path[:-1]))))


#: A date written in the right shape, with numbers that may be out of range.
_DATE_SHAPE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def _date_hint(value: Any) -> str:
    """How to fix a date: which part is wrong when the shape is right (no month 13, no
    30 February), else the shape to write."""
    found = _DATE_SHAPE.fullmatch(str(value).strip())
    if found is None:
        return "; write it as YYYY-MM-DD"
    year, month, day = (int(part) for part in found.groups())
    if not 1 <= month <= 12:
        return f": there is no month {month}; write it as YYYY-MM-DD, the month second"
    try:
        dt.date(year, month, day)
    except ValueError:
        return f": month {month} of {year} has no day {day}"
    return f"; write it as {year:04d}-{month:02d}-{day:02d}, with two digits for month and day"


def _choices(annotation: Any) -> list[str]:
    """The values a ``Literal`` type allows (also inside an optional or annotated type)."""
    if typing.get_origin(annotation) is Literal:
        return [str(value) for value in typing.get_args(annotation)]
    return [value for arg in typing.get_args(annotation) for value in _choices(arg)]


def _describe(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step + 1}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _diagnostic(model: type[BaseModel], raw: Any, error: Any, where: Location) -> Diagnostic:
    path = _user_path(raw, error["loc"])
    kind, name = error["type"], _describe(path) or "this file"
    value = error.get("input")
    # A dataclass (the limits) reports an unknown field as an unexpected keyword argument.
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        hint = _hint(str(path[-1]), list(_field_names(model, path)))
        return Diagnostic(
            "error",
            f"unknown field '{path[-1]}'{hint}",
            "unknown-field",
            _key_loc(raw, path, where),
        )
    loc = locate(raw, path, where)
    if kind == "missing":
        return Diagnostic("error", f"'{name}' is required but missing", "missing-field", loc)
    if kind == "too_short" and path == ["sections"]:
        return Diagnostic(
            "error", "a position needs at least one section under 'sections'", "no-sections", loc
        )
    if kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        hint = _hint(str(value), list(_choices(_declared(model, path))))
        return Diagnostic(
            "error", f"'{name}' cannot be '{value}'{hint}; allowed: {allowed}", "invalid-value", loc
        )
    if kind.startswith("date"):
        return Diagnostic(
            "error",
            f"'{value}' is not a valid date for '{name}'{_date_hint(value)}",
            "invalid-date",
            loc,
        )
    if kind == "list_type":
        return Diagnostic(
            "error",
            f"'{name}' should be a list: write each item on a line of its own, under it, "
            "starting with '- ' (or all of them as [a, b])",
            "invalid-value",
            loc,
        )
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return Diagnostic(
            "error", f"'{name}' should be a set of fields (key: value)", "invalid-value", loc
        )
    if kind == "string_type":
        return Diagnostic("error", f"'{name}' should be text", "invalid-value", loc)
    if len(path) == 2 and path[0] == "limits" and (bounds := limit_range(str(path[1]))):
        shown = str(value) if len(str(value)) <= 20 else str(value)[:20] + "…"
        return Diagnostic(
            "error", f"'{name}' cannot be {shown}: write {bounds}", "invalid-value", loc
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    return Diagnostic("error", f"'{name}': {message}", "invalid-value", loc)


def _user_path(raw: Any, loc: Sequence[str | int]) -> list[str | int]:
    """pydantic's error path without the steps it adds for validators and union members.

    A step is the user's when it names a key (or index) present in the YAML at that place;
    only steps that are not are judged by their look, so a key such as 'see [1]' stays.
    """
    path: list[str | int] = []
    node = raw
    for step in loc:
        child = _child(node, step)
        if child is not _ABSENT:
            path.append(step)
            node = child
        elif isinstance(step, str) and (step.startswith("function-") or "[" in step):
            continue
        else:
            path.append(step)
            node = None
    return path


_ABSENT: Any = object()


def _child(node: Any, step: str | int) -> Any:
    """``node[step]`` where the YAML has it (a key of a mapping, an item of a list), or _ABSENT."""
    if isinstance(node, YamlMapping) and isinstance(step, str) and step in node:
        return node[step]
    if isinstance(node, YamlList) and isinstance(step, int) and step < len(node):
        return node[step]
    return _ABSENT
