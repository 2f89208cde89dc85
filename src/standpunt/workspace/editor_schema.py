"""JSON Schemas of a workspace's YAML files, for editors (VS Code's YAML extension and any other
client of yaml-language-server): completion and checking while a policy officer types.

They are made from the models :mod:`standpunt.workspace.schema` declares, never written by hand,
so they cannot drift from what ``check`` accepts. Two things an editor does differently from
Standpunt's loader are bridged here:

- the loader keeps every scalar as the text written (``version: 1.0`` is the label "1.0"),
  while an editor reads YAML 1.2 types; so a field that takes text also takes a number or a
  yes/no in the schema;
- evidence field names are read without regard to case, as citeproc reads them; the schema
  offers each field in CSL's spelling, and DOI, URL and the like in lower case too, as pandoc
  and Zotero write them (a field in another case is flagged while typing, accepted by check).

The schemas are a help while typing; ``check`` stays the judge (it also checks what a schema
cannot: citations, partner keys, signatures).
"""

from __future__ import annotations

import json
from typing import Any

from standpunt.workspace.csl import (
    CSL_DATE_VARIABLES,
    CSL_NAME_VARIABLES,
    CSL_TYPES,
    DATE_FIELDS,
    EVIDENCE_FIELDS,
    NAME_FLAGS,
    NAME_PARTS,
)
from standpunt.workspace.schema import Config, Position

#: Where ``init`` and ``standpunt schema`` put the schemas, relative to the workspace.
SCHEMA_DIR = ".standpunt/schema"
CONFIG_SCHEMA = "config.schema.json"
POSITION_SCHEMA = "position.schema.json"
EVIDENCE_SCHEMA = "evidence.schema.json"
#: Which files each schema is for, as VS Code's ``yaml.schemas`` setting globs them.
GLOBS = {
    CONFIG_SCHEMA: ["standpunt.yaml"],
    POSITION_SCHEMA: ["positions/*.yaml", "positions/*.yml"],
    EVIDENCE_SCHEMA: ["evidence/**/*.yaml", "evidence/**/*.yml"],
}
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_BASE = "https://standpunt.invalid/schema/"
#: What a YAML 1.2 reader may make of a scalar the loader keeps as text.
_SCALAR = ["string", "number", "boolean"]


def schemas() -> dict[str, dict[str, Any]]:
    """Each schema by its file name."""
    return {
        CONFIG_SCHEMA: _model_schema(
            Config, CONFIG_SCHEMA, "standpunt.yaml: the workspace's settings"
        ),
        POSITION_SCHEMA: _model_schema(
            Position, POSITION_SCHEMA, "positions/<id>.yaml: one public position"
        ),
        EVIDENCE_SCHEMA: _evidence_schema(),
    }


def schema_texts() -> dict[str, bytes]:
    """Each schema as the bytes written: stable key order, so a re-run changes nothing."""
    texts = {}
    for name, schema in schemas().items():
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        texts[name] = text.encode("utf-8")
    return texts


def modeline(schema_name: str, depth: int) -> str:
    """The comment that tells yaml-language-server which schema a file follows, for a file
    ``depth`` folders below the workspace."""
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_DIR}/{schema_name}\n"


def vscode_settings() -> dict[str, Any]:
    """The ``.vscode/settings.json`` that maps each schema to its files."""
    return {"yaml.schemas": {f"./{SCHEMA_DIR}/{name}": globs for name, globs in GLOBS.items()}}


# --- from the models -------------------------------------------------------------------------


def _model_schema(model: Any, name: str, title: str) -> dict[str, Any]:
    schema = _lenient(model.model_json_schema(mode="validation"))
    _accept_short_forms(schema)
    # Every part of a file refuses unknown fields, as the models do; said for each, so that
    # the schema is the same whichever pydantic release writes it (some leave it out for
    # a dataclass such as the limits).
    for part in [schema, *schema.get("$defs", {}).values()]:
        if part.get("type") == "object" and "properties" in part:
            part["additionalProperties"] = False
    return {"$schema": _DRAFT, "$id": _BASE + name, "title": title, **schema}


def _lenient(node: Any) -> Any:
    """The schema with every text scalar also taking the numbers and yes/no an editor reads."""
    if isinstance(node, list):
        return [_lenient(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _lenient(value) for key, value in node.items()}
    if out.get("type") == "string" and "format" not in out and "enum" not in out:
        out["type"] = list(_SCALAR)
        out.pop("pattern", None)  # a pattern judges text only; the loader sees text
    return out


def _accept_short_forms(schema: dict[str, Any]) -> None:
    """Forms the models accept before validating (their ``BeforeValidator``s), which pydantic's
    schema leaves out: an author as a plain name, ``attach:`` as yes/no."""
    definitions = schema.get("$defs", {})
    authors = schema.get("properties", {}).get("authors")
    if authors is not None and "Author" in definitions:
        authors["items"] = {"anyOf": [{"$ref": "#/$defs/Author"}, {"type": _SCALAR}]}
    attach = schema.get("properties", {}).get("attach")
    if attach is not None:
        schema["properties"]["attach"] = {
            "anyOf": [{"$ref": "#/$defs/Attach"}, {"type": "boolean"}],
            "description": attach.get("description", ""),
        }


# --- evidence (CSL-YAML) ---------------------------------------------------------------------


def _spellings(field: str) -> list[str]:
    """The names a field is offered under: CSL's spelling and, for DOI, URL and the like, the
    lower case pandoc and Zotero write. (``check`` accepts any case; an editor that offers
    two spellings per field keeps its completion list readable and its messages short.)"""
    return [field] if field.islower() else [field, field.lower()]


def _field_schema(field: str) -> dict[str, Any]:
    if field == "type":
        return {"enum": sorted(CSL_TYPES)}
    if field in CSL_NAME_VARIABLES:
        return {"type": "array", "items": {"$ref": "#/$defs/name"}}
    if field in CSL_DATE_VARIABLES:
        return {"$ref": "#/$defs/date"}
    if field in ("custom",):
        return {"type": "object"}
    if field == "categories":
        return {"type": "array"}
    return {"type": _SCALAR}


def _evidence_schema() -> dict[str, Any]:
    fields = sorted(EVIDENCE_FIELDS)
    reference = {
        "type": "object",
        "description": "one work, as CSL-YAML",
        "properties": {
            name: _field_schema(field) for field in fields for name in _spellings(field)
        },
        "additionalProperties": False,
        "required": ["id"],
    }
    name = {
        "anyOf": [
            {"type": "string", "description": "a name as text, e.g. 'Claessens, Dirk'"},
            {
                "type": "object",
                "properties": {
                    **{part: {"type": _SCALAR} for part in NAME_PARTS},
                    **{flag: {"type": ["boolean", "string", "number"]} for flag in NAME_FLAGS},
                },
                "additionalProperties": False,
            },
        ]
    }
    date = {
        "anyOf": [
            {"type": ["string", "number"], "description": "YYYY, YYYY-MM or YYYY-MM-DD"},
            {
                "type": "object",
                "properties": {
                    part: (
                        {"type": "array", "items": {"type": "array"}}
                        if part == "date-parts"
                        else {"type": _SCALAR}
                    )
                    for part in DATE_FIELDS
                },
                "additionalProperties": False,
            },
        ]
    }
    references = {"type": "array", "items": {"$ref": "#/$defs/reference"}}
    return {
        "$schema": _DRAFT,
        "$id": _BASE + EVIDENCE_SCHEMA,
        "title": "evidence/*.yaml: works positions cite, as CSL-YAML",
        "description": "a list of works, or 'references:' followed by that list",
        # A list is judged by "items", a mapping by the rest (JSON Schema applies each keyword
        # to its own kind of value), so an editor points at the field at fault.
        "type": ["array", "object"],
        "items": {"$ref": "#/$defs/reference"},
        "properties": {"references": references},
        "required": ["references"],
        "additionalProperties": False,
        "$defs": {"reference": reference, "name": name, "date": date},
    }
