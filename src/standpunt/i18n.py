"""Labels and dates in the position's language: a message catalogue for nl, fr, en and de.

A regional tag uses its language's labels (nl-BE → nl). A workspace can override any label
under ``labels:`` in standpunt.yaml. Dates are written the language's way by Babel.
"""

from __future__ import annotations

import datetime as dt
import functools
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
        "author_one": "Written by",
        "page": "page",
        "page_of": "of",
        "date": "Date",
        "status": "Status",
        "version": "Version",
        "not_versioned": "not versioned",
        "not_committed": "not yet committed",
        "contact": "Contact",
        "licence": "Licence",
        "published_by": "Published by",
        "made_with": "Made with",
        "status_draft": "draft",
        "status_consultation": "in consultation",
        "status_adopted": "adopted",
        "status_withdrawn": "withdrawn",
        "responsible_publisher": "Responsible publisher",
        "respond_by": "Please respond by",
        "respond_to": "Send responses to",
        "working_copy": "Working copy, not the adopted text",
        "working_copy_unadopted": "Working copy, not yet committed",
        "working_copy_short": "working copy",
        "revision": "revision",
        "status_mark_draft": "Draft",
        "status_mark_consultation": "Consultation draft",
        "status_mark_withdrawn": "Withdrawn",
        "status_mark_pending": "Pending",
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
        "co_signed_by": "Medeondertekend door",
        "authors": "Auteurs",
        "author_one": "Geschreven door",
        "page": "pagina",
        "page_of": "van",
        "date": "Datum",
        "status": "Status",
        "version": "Versie",
        "not_versioned": "zonder versiebeheer",
        "not_committed": "nog niet vastgelegd",
        "contact": "Contact",
        "licence": "Licentie",
        "published_by": "Uitgegeven door",
        "made_with": "Gemaakt met",
        "status_draft": "ontwerp",
        "status_consultation": "in consultatie",
        "status_adopted": "goedgekeurd",
        "status_withdrawn": "ingetrokken",
        "responsible_publisher": "Verantwoordelijke uitgever",
        "respond_by": "Reageer vóór",
        "respond_to": "Reacties naar",
        "working_copy": "Werkversie, niet de goedgekeurde tekst",
        "working_copy_unadopted": "Werkversie, nog niet vastgelegd",
        "working_copy_short": "werkversie",
        "revision": "revisie",
        "status_mark_draft": "Ontwerp",
        "status_mark_consultation": "Consultatieversie",
        "status_mark_withdrawn": "Ingetrokken",
        "status_mark_pending": "In afwachting",
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
        "author_one": "Rédigé par",
        "page": "page",
        "page_of": "sur",
        "date": "Date",
        "status": "Statut",
        "version": "Version",
        "not_versioned": "sans suivi de version",
        "not_committed": "pas encore enregistré",
        "contact": "Contact",
        "licence": "Licence",
        "published_by": "Publié par",
        "made_with": "Réalisé avec",
        "status_draft": "projet",
        "status_consultation": "en consultation",
        "status_adopted": "adopté",
        "status_withdrawn": "retiré",
        "responsible_publisher": "Éditeur responsable",
        "respond_by": "Réponses attendues pour le",
        "respond_to": "Réponses à",
        "working_copy": "Version de travail, pas le texte adopté",
        "working_copy_unadopted": "Version de travail, pas encore enregistrée",
        "working_copy_short": "version de travail",
        "revision": "révision",
        "status_mark_draft": "Projet",
        "status_mark_consultation": "Version de consultation",
        "status_mark_withdrawn": "Retiré",
        "status_mark_pending": "En attente",
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
        "author_one": "Verfasst von",
        "page": "Seite",
        "page_of": "von",
        "date": "Datum",
        "status": "Status",
        "version": "Version",
        "not_versioned": "ohne Versionsverwaltung",
        "not_committed": "noch nicht festgeschrieben",
        "contact": "Kontakt",
        "licence": "Lizenz",
        "published_by": "Herausgegeben von",
        "made_with": "Erstellt mit",
        "status_draft": "Entwurf",
        "status_consultation": "in Konsultation",
        "status_adopted": "beschlossen",
        "status_withdrawn": "zurückgezogen",
        "responsible_publisher": "Verantwortlich im Sinne des Presserechts",
        "respond_by": "Stellungnahmen bis",
        "respond_to": "Stellungnahmen an",
        "working_copy": "Arbeitsfassung, nicht der beschlossene Text",
        "working_copy_unadopted": "Arbeitsfassung, noch nicht festgehalten",
        "working_copy_short": "Arbeitsfassung",
        "revision": "Revision",
        "status_mark_draft": "Entwurf",
        "status_mark_consultation": "Konsultationsfassung",
        "status_mark_withdrawn": "Zurückgezogen",
        "status_mark_pending": "Ausstehend",
    },
}


#: The redline's labels (``standpunt diff``), by language; ``{before}``, ``{after}``,
#: ``{number}`` and ``{label}`` are filled in where shown.
REDLINE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "redline_kicker": "Comparison of versions",
        "redline_heading": "What changed",
        "redline_versions": "From {before} to {after}",
        "redline_before": "Earlier version",
        "redline_after": "This version",
        "redline_revision": "Version {label}",
        "redline_working": "working copy (not committed)",
        "redline_legend": "How to read",
        "redline_inserted": "inserted",
        "redline_deleted": "deleted",
        "redline_no_changes": "No changes.",
        "redline_coarse": "Some passages changed too much to compare word by word: their "
        "changed paragraphs are shown whole, deleted and then inserted.",
        "redline_words_inserted": "Words inserted",
        "redline_words_deleted": "Words deleted",
        "redline_sections_changed": "Sections changed",
        "redline_sections_added": "Sections added",
        "redline_sections_removed": "Sections removed",
        "redline_asks_added": "Asks added",
        "redline_asks_removed": "Asks removed",
        "redline_asks_changed": "Asks changed",
        "redline_evidence_added": "Sources added",
        "redline_evidence_removed": "Sources removed",
        "redline_title": "Title",
        "redline_subtitle": "Subtitle",
        "redline_status": "Status",
        "redline_version": "Version",
        "redline_section": "Section {number}",
        "redline_ask": "Ask {number}",
        "redline_quote": "Quote",
        "redline_added": "added",
        "redline_removed": "removed",
        "redline_changed": "changed",
        "redline_text_unchanged": "Text unchanged.",
        "redline_none": "none",
    },
    "nl": {
        "redline_kicker": "Vergelijking van versies",
        "redline_heading": "Wat is er gewijzigd",
        "redline_versions": "Van {before} naar {after}",
        "redline_before": "Vorige versie",
        "redline_after": "Nieuwe versie",
        "redline_revision": "Versie {label}",
        "redline_working": "werkversie (niet vastgelegd)",
        "redline_legend": "Leeswijzer",
        "redline_inserted": "ingevoegd",
        "redline_deleted": "geschrapt",
        "redline_no_changes": "Geen wijzigingen.",
        "redline_coarse": "Sommige passages zijn te sterk gewijzigd om woord voor woord te "
        "vergelijken: hun gewijzigde alinea’s staan er in hun geheel, eerst geschrapt en dan "
        "ingevoegd.",
        "redline_words_inserted": "Woorden ingevoegd",
        "redline_words_deleted": "Woorden geschrapt",
        "redline_sections_changed": "Delen gewijzigd",
        "redline_sections_added": "Delen toegevoegd",
        "redline_sections_removed": "Delen geschrapt",
        "redline_asks_added": "Vragen toegevoegd",
        "redline_asks_removed": "Vragen geschrapt",
        "redline_asks_changed": "Vragen gewijzigd",
        "redline_evidence_added": "Bronnen toegevoegd",
        "redline_evidence_removed": "Bronnen geschrapt",
        "redline_title": "Titel",
        "redline_subtitle": "Ondertitel",
        "redline_status": "Status",
        "redline_version": "Versie",
        "redline_section": "Deel {number}",
        "redline_ask": "Vraag {number}",
        "redline_quote": "Citaat",
        "redline_added": "toegevoegd",
        "redline_removed": "geschrapt",
        "redline_changed": "gewijzigd",
        "redline_text_unchanged": "Tekst ongewijzigd.",
        "redline_none": "geen",
    },
    "fr": {
        "redline_kicker": "Comparaison de versions",
        "redline_heading": "Ce qui a changé",
        "redline_versions": "De {before} à {after}",
        "redline_before": "Version précédente",
        "redline_after": "Nouvelle version",
        "redline_revision": "Version {label}",
        "redline_working": "version de travail (non enregistrée)",
        "redline_legend": "Mode de lecture",
        "redline_inserted": "ajouté",
        "redline_deleted": "supprimé",
        "redline_no_changes": "Aucune modification.",
        "redline_coarse": "Certains passages ont trop changé pour être comparés mot à mot : "
        "leurs paragraphes modifiés figurent en entier, d’abord supprimés puis ajoutés.",
        "redline_words_inserted": "Mots ajoutés",
        "redline_words_deleted": "Mots supprimés",
        "redline_sections_changed": "Parties modifiées",
        "redline_sections_added": "Parties ajoutées",
        "redline_sections_removed": "Parties supprimées",
        "redline_asks_added": "Demandes ajoutées",
        "redline_asks_removed": "Demandes supprimées",
        "redline_asks_changed": "Demandes modifiées",
        "redline_evidence_added": "Références ajoutées",
        "redline_evidence_removed": "Références supprimées",
        "redline_title": "Titre",
        "redline_subtitle": "Sous-titre",
        "redline_status": "Statut",
        "redline_version": "Version",
        "redline_section": "Partie {number}",
        "redline_ask": "Demande {number}",
        "redline_quote": "Citation",
        "redline_added": "ajoutée",
        "redline_removed": "supprimée",
        "redline_changed": "modifiée",
        "redline_text_unchanged": "Texte inchangé.",
        "redline_none": "aucun",
    },
    "de": {
        "redline_kicker": "Versionsvergleich",
        "redline_heading": "Was sich geändert hat",
        "redline_versions": "Von {before} zu {after}",
        "redline_before": "Vorherige Fassung",
        "redline_after": "Neue Fassung",
        "redline_revision": "Version {label}",
        "redline_working": "Arbeitsfassung (nicht eingecheckt)",
        "redline_legend": "Lesehilfe",
        "redline_inserted": "eingefügt",
        "redline_deleted": "gestrichen",
        "redline_no_changes": "Keine Änderungen.",
        "redline_coarse": "Einige Passagen haben sich zu stark geändert, um sie Wort für Wort "
        "zu vergleichen: Ihre geänderten Absätze stehen vollständig da, erst gestrichen, dann "
        "eingefügt.",
        "redline_words_inserted": "Wörter eingefügt",
        "redline_words_deleted": "Wörter gestrichen",
        "redline_sections_changed": "Abschnitte geändert",
        "redline_sections_added": "Abschnitte hinzugefügt",
        "redline_sections_removed": "Abschnitte gestrichen",
        "redline_asks_added": "Forderungen hinzugefügt",
        "redline_asks_removed": "Forderungen gestrichen",
        "redline_asks_changed": "Forderungen geändert",
        "redline_evidence_added": "Quellen hinzugefügt",
        "redline_evidence_removed": "Quellen gestrichen",
        "redline_title": "Titel",
        "redline_subtitle": "Untertitel",
        "redline_status": "Status",
        "redline_version": "Version",
        "redline_section": "Abschnitt {number}",
        "redline_ask": "Forderung {number}",
        "redline_quote": "Zitat",
        "redline_added": "hinzugefügt",
        "redline_removed": "gestrichen",
        "redline_changed": "geändert",
        "redline_text_unchanged": "Text unverändert.",
        "redline_none": "keine",
    },
}
for _lang, _labels in REDLINE_LABELS.items():
    LABELS[_lang].update(_labels)


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


@functools.lru_cache(maxsize=64)
def unknown_language(tag: str) -> str | None:
    """Why the BCP 47 tag ``tag`` names no language whose dates Standpunt can write (from the
    Unicode CLDR data Babel carries), or None when it does: "be-nl" is Belarusian in the
    Netherlands, which has none, and most likely meant nl-BE."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        hint = ""
        parts = tag.split("-")
        if len(parts) == 2:
            swapped = f"{parts[1].lower()}-{parts[0].upper()}"
            if unknown_language(swapped) is None:
                hint = f" (did you mean {swapped}?)"
        return (
            f"'{tag}' is not a language Standpunt knows{hint}; write a language tag such as "
            "nl-BE, nl, fr, en or de"
        )
    return None


def format_date(date: dt.date, tag: str) -> str:
    """A date written the language's way: 28 november 2026, 28. November 2026."""
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(date, format="long", locale=tag.replace("-", "_")))
