"""Labels and dates in the position's language: a message catalogue for nl, fr, en and de.

A regional tag uses its language's labels (nl-BE → nl). A workspace can override any label
under ``labels:`` in standpunt.yaml. Dates are written the language's way by Babel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "modified": "modified",
        "edition": "Edition of",
        "position": "Position paper",
        "signatories_intro": "This position is supported by:",
        "pending": "signature pending",
        "pending_mark": "Draft: co-signatures pending",
        "verified": "signature verified",
        "based_on": "Based on",
        "summary": "Summary",
        "recommendations": "Our asks",
        "contents": "Contents",
        "references": "References",
        "notes": "Notes",
        "signed_by": "Signed by",
        "co_signed_by": "Co-signed by",
        "authors": "Authors",
        "page": "page",
        "page_of": "of",
        "date": "Date",
        "status": "Status",
        "version": "version",
        "not_versioned": "not versioned",
        "contact": "Contact",
        "licence": "Licence",
        "published_by": "Published by",
        "made_with": "Made with",
        "status_draft": "draft",
        "status_consultation": "in consultation",
        "status_adopted": "adopted",
        "status_withdrawn": "withdrawn",
    },
    "nl": {
        "modified": "gewijzigd",
        "edition": "Editie van",
        "position": "Standpunt",
        "signatories_intro": "Dit standpunt wordt gedragen door:",
        "pending": "handtekening in afwachting",
        "pending_mark": "Ontwerp: handtekeningen in afwachting",
        "verified": "handtekening geverifieerd",
        "based_on": "Gebaseerd op",
        "summary": "Samenvatting",
        "recommendations": "Onze vragen",
        "contents": "Inhoud",
        "references": "Bronnen",
        "notes": "Noten",
        "signed_by": "Ondertekend door",
        "co_signed_by": "Mee ondertekend door",
        "authors": "Auteurs",
        "page": "pagina",
        "page_of": "van",
        "date": "Datum",
        "status": "Status",
        "version": "versie",
        "not_versioned": "zonder versiebeheer",
        "contact": "Contact",
        "licence": "Licentie",
        "published_by": "Uitgegeven door",
        "made_with": "Gemaakt met",
        "status_draft": "ontwerp",
        "status_consultation": "in consultatie",
        "status_adopted": "goedgekeurd",
        "status_withdrawn": "ingetrokken",
    },
    "fr": {
        "modified": "modifié",
        "edition": "Édition de",
        "position": "Prise de position",
        "signatories_intro": "Cette prise de position est soutenue par :",
        "pending": "signature en attente",
        "pending_mark": "Projet : signatures en attente",
        "verified": "signature vérifiée",
        "based_on": "D’après",
        "summary": "Résumé",
        "recommendations": "Nos demandes",
        "contents": "Sommaire",
        "references": "Références",
        "notes": "Notes",
        "signed_by": "Signé par",
        "co_signed_by": "Cosigné par",
        "authors": "Auteurs",
        "page": "page",
        "page_of": "sur",
        "date": "Date",
        "status": "Statut",
        "version": "version",
        "not_versioned": "sans suivi de version",
        "contact": "Contact",
        "licence": "Licence",
        "published_by": "Publié par",
        "made_with": "Réalisé avec",
        "status_draft": "projet",
        "status_consultation": "en consultation",
        "status_adopted": "adopté",
        "status_withdrawn": "retiré",
    },
    "de": {
        "modified": "geändert",
        "edition": "Ausgabe von",
        "position": "Positionspapier",
        "signatories_intro": "Dieses Positionspapier wird getragen von:",
        "pending": "Unterschrift ausstehend",
        "pending_mark": "Entwurf: Unterschriften ausstehend",
        "verified": "Unterschrift geprüft",
        "based_on": "Auf Grundlage von",
        "summary": "Zusammenfassung",
        "recommendations": "Unsere Forderungen",
        "contents": "Inhalt",
        "references": "Literatur",
        "notes": "Anmerkungen",
        "signed_by": "Unterzeichnet von",
        "co_signed_by": "Mitunterzeichnet von",
        "authors": "Autorinnen und Autoren",
        "page": "Seite",
        "page_of": "von",
        "date": "Datum",
        "status": "Status",
        "version": "Version",
        "not_versioned": "ohne Versionsverwaltung",
        "contact": "Kontakt",
        "licence": "Lizenz",
        "published_by": "Herausgegeben von",
        "made_with": "Erstellt mit",
        "status_draft": "Entwurf",
        "status_consultation": "in Konsultation",
        "status_adopted": "beschlossen",
        "status_withdrawn": "zurückgezogen",
    },
}


def language(tag: str) -> str:
    """The catalogue language for a BCP 47 tag: nl-BE → nl; unknown languages → en."""
    base = tag.split("-")[0].lower()
    return base if base in LABELS else "en"


def labels(tag: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every label in the language of ``tag``, with the workspace's overrides on top."""
    merged = dict(LABELS["en"])
    merged.update(LABELS[language(tag)])
    merged.update(overrides or {})
    return merged


def format_date(date: dt.date, tag: str) -> str:
    """A date written the language's way: 28 november 2026, 28. November 2026."""
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(date, format="long", locale=tag.replace("-", "_")))
