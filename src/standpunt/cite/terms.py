"""Our own words for citations: the locator labels we recognise and the CSL terms we supply.

pandoc's citeproc reads a locator (``[@x, p. 4]``) only when its label is one of the terms of the
position's CSL locale, so ``pp. 3-5`` in a French position or ``hfst. 2`` in a Dutch one stayed
literal text. :data:`LOCATOR_LABELS` lists the labels people write, in English, Dutch, French and
German; ``locators.lua`` rewrites such a label into one the locale knows, and the style prints
its own form.

The CSL locales pandoc ships leave some terms out or in English (Dutch "review of", "no
publisher", "edited by" and the names of document types; German "journal article"; French
"review of"). :data:`OWN_TERMS` supplies them, for a language's locale only where it lacks the
term or holds the English text unchanged, and never over a term the style itself defines
(:mod:`standpunt.cite.styles` decides). ``docs/languages.md`` lists every word here; a test
keeps the two in step.
"""

from __future__ import annotations

from typing import TypeAlias

#: A term's text: one text, or its singular and plural.
Text: TypeAlias = str | tuple[str, str]

#: The locator terms pandoc's citeproc reads labels for, in the order it ranks them when two
#: terms share a label (the first wins). ``sub verbo`` is left out: pandoc looks it up under a
#: name the locales do not use, so no label of it is ever read.
LOCATOR_TERMS: tuple[str, ...] = (
    "book",
    "chapter",
    "column",
    "figure",
    "folio",
    "issue",
    "line",
    "note",
    "opus",
    "page",
    "number-of-pages",
    "paragraph",
    "part",
    "section",
    "verse",
    "volume",
)

#: Labels we recognise at the start of a citation's suffix, by the locator term they stand for:
#: English, Dutch, French and German, singular and plural, short and long. Written in lower
#: case; case does not matter. Labels that also mean something else at the start of a suffix
#: ("c." circa, "f." following, "z." zie, "bl." page in Dutch but folio in German) are left
#: out.
LOCATOR_LABELS_BY_TERM: dict[str, tuple[str, ...]] = {
    "page": (
        "p.", "pp.", "pg.", "page", "pages",  # en
        "blz.", "pag.", "pagina", "pagina's", "bladzijde", "bladzijden",  # nl
        "s.", "seite", "seiten",  # de (fr writes p. and page)
    ),
    "chapter": (
        "ch.", "chs.", "chap.", "chaps.", "chapter", "chapters",
        "hfst.", "hfdst.", "hoofdstuk", "hoofdstukken",
        "chapitre", "chapitres",
        "kap.", "kapitel",
    ),
    "volume": (
        "vol.", "vols.", "volume", "volumes",
        "jg.", "jaargang",
        "t.", "tome", "tomes",
        "bd.", "bde.", "band", "bände",
    ),
    "figure": (
        "fig.", "figs.", "figure", "figures",
        "figuur", "figuren", "afb.", "afbeelding",
        "abb.", "abbildung", "abbildungen",
    ),
    "note": (
        "n.", "nn.", "note", "notes",
        "noot", "noten",
        "anm.", "anmerkung", "anmerkungen", "fn.", "fußnote",
    ),
    "paragraph": (
        "para.", "paras.", "paragraph", "paragraphs", "¶",
        "par.", "paragraaf", "paragrafen", "alinea",
        "paragr.", "paragraphe", "paragraphes",
        "abs.", "absatz", "absätze",
    ),
    "section": (
        "sec.", "secs.", "sect.", "section", "sections", "§", "§§",
        "sectie", "secties", "afd.", "afdeling",
        "abschn.", "abschnitt", "abschnitte",
    ),
    "issue": (
        "no.", "nos.", "iss.", "issue", "issues",
        "nr.", "nrs.", "nummer", "afl.", "aflevering",
        "n°", "nᵒ", "numéro", "numéros",
        "heft",
    ),
    "line": (
        "l.", "ll.", "line", "lines",
        "regel", "regels",
        "ligne", "lignes",
        "zeile", "zeilen",
    ),
    "column": (
        "col.", "cols.", "column", "columns",
        "kol.", "kolom", "kolommen",
        "colonne", "colonnes",
        "sp.", "spalte", "spalten",
    ),
    "part": (
        "pt.", "pts.", "part", "parts",
        "dl.", "deel", "delen",
        "part.", "partie", "parties",
        "tl.", "teil", "teile",
    ),
    "book": (
        "bk.", "bks.", "book", "books",
        "boek", "boeken",
        "liv.", "livre", "livres",
        "buch", "bücher",
    ),
    "verse": (
        "v.", "vv.", "verse", "verses",
        "vers", "verzen", "versen",
        "verset", "versets",
    ),
    "folio": (
        "fol.", "fols.", "folio", "folios",
        "fᵒ",
        "blatt", "blätter",
    ),
    "opus": ("op.", "opp.", "opus", "opera"),
}  # fmt: skip

#: Every recognised label (lower case) and the locator term it stands for.
LOCATOR_LABELS: dict[str, str] = {
    label: term for term, labels in LOCATOR_LABELS_BY_TERM.items() for label in labels
}

#: CSL terms that name a publication status. A work whose ``status`` (or literal ``issued``
#: date) is one of them written in English, as Zotero and BibLaTeX's ``pubstate`` write it, is
#: printed with the term of the position's language: "forthcoming" becomes "in voorbereiding".
STATUS_TERMS: tuple[str, ...] = (
    "forthcoming",
    "in press",
    "advance-online-publication",
    "preprint",
)

#: Status words where the locale's term is an abbreviation meant for a style to print as is
#: (German "i. E."): a work's status is data, which styles print lower case or capitalised.
STATUS_WORDS: dict[str, dict[str, str]] = {"de": {"forthcoming": "im Erscheinen"}}

#: The delimiter of every page range, in every language: the en dash the README promises. It
#: replaces the locale's own (a hyphen in Dutch, a non-breaking hyphen in French), but not a
#: delimiter the style itself sets (many journals' styles ask for a hyphen).
PAGE_RANGE_DELIMITER = "\u2013"

#: The term forms, and the form each falls back to when a locale lacks it (CSL 1.0.2).
FALLBACK: dict[str, str] = {
    "verb-short": "verb",
    "symbol": "short",
    "verb": "long",
    "short": "long",
}
FORMS: tuple[str, ...] = ("long", "short", "symbol", "verb", "verb-short")

_ROLES_NL: dict[tuple[str, str], Text] = {
    ("editor-translator", "long"): ("redacteur & vertaler", "redacteuren & vertalers"),
    ("editor-translator", "short"): ("red. & vert.", "red. & vert."),
    ("editor-translator", "verb"): "bewerkt & vertaald door",
    ("editor-translator", "verb-short"): "bewerkt & vertaald door",
    ("collection-editor", "verb"): "onder redactie van",
    ("collection-editor", "verb-short"): "onder red. van",
    ("composer", "long"): ("componist", "componisten"),
    ("composer", "verb"): "gecomponeerd door",
    ("composer", "verb-short"): "gecomp. door",
    ("original-author", "verb"): "door",
    ("chair", "long"): ("voorzitter", "voorzitters"),
    ("chair", "verb"): "voorgezeten door",
    ("compiler", "long"): ("samensteller", "samenstellers"),
    ("compiler", "short"): ("samenst.", "samenst."),
    ("compiler", "verb"): "samengesteld door",
    ("compiler", "verb-short"): "samengest. door",
    ("contributor", "long"): ("medewerker", "medewerkers"),
    ("contributor", "short"): ("medew.", "medew."),
    ("contributor", "verb"): "met",
    ("curator", "verb"): "gecureerd door",
    ("curator", "verb-short"): "gecur. door",
    ("executive-producer", "long"): ("uitvoerend producent", "uitvoerend producenten"),
    ("executive-producer", "short"): ("uitv. prod.", "uitv. prod."),
    ("executive-producer", "verb"): "uitvoerend geproduceerd door",
    ("executive-producer", "verb-short"): "uitv. geprod. door",
    ("guest", "long"): ("gast", "gasten"),
    ("host", "long"): ("presentator", "presentatoren"),
    ("host", "verb"): "gepresenteerd door",
    ("narrator", "long"): ("verteller", "vertellers"),
    ("narrator", "short"): ("vert.", "vert."),
    ("narrator", "verb"): "verteld door",
    ("narrator", "verb-short"): "vert. door",
    ("organizer", "long"): ("organisator", "organisatoren"),
    ("organizer", "short"): ("org.", "org."),
    ("organizer", "verb"): "georganiseerd door",
    ("organizer", "verb-short"): "georg. door",
    ("performer", "long"): ("uitvoerder", "uitvoerders"),
    ("performer", "short"): ("uitv.", "uitv."),
    ("performer", "verb"): "uitgevoerd door",
    ("performer", "verb-short"): "uitgev. door",
    ("producer", "long"): ("producent", "producenten"),
    ("producer", "short"): ("prod.", "prod."),
    ("producer", "verb"): "geproduceerd door",
    ("producer", "verb-short"): "geprod. door",
    ("script-writer", "long"): ("scenarist", "scenaristen"),
    ("script-writer", "verb"): "geschreven door",
    ("script-writer", "verb-short"): "geschr. door",
    ("series-creator", "long"): ("bedenker", "bedenkers"),
    ("series-creator", "verb"): "bedacht door",
}

_WORKS_NL: dict[tuple[str, str], Text] = {
    ("advance-online-publication", "long"): "online vooruitpublicatie",
    ("original-work-published", "long"): "oorspronkelijk werk gepubliceerd",
    ("special-issue", "long"): "themanummer",
    ("special-section", "long"): "themakatern",
    ("working-paper", "long"): "werkdocument",
    ("review-of", "long"): "recensie van",
    ("review-of", "short"): "rec. van",
    ("no-place", "long"): "zonder plaats",
    ("no-place", "short"): "z.p.",
    ("no-publisher", "long"): "zonder uitgever",
    ("no-publisher", "short"): "z.u.",
    ("henceforth", "long"): "hierna",
    ("on", "long"): "op",
    ("circa", "short"): "ca.",
    ("number", "long"): ("nummer", "nummers"),
    ("number", "short"): ("nr.", "nrs."),
    ("article-journal", "long"): "tijdschriftartikel",
    ("article-magazine", "long"): "magazineartikel",
    ("article-magazine", "short"): "magazineart.",
    ("article-newspaper", "long"): "krantenartikel",
    ("article-newspaper", "short"): "krantenart.",
    ("audio-recording", "long"): "geluidsopname",
    ("bill", "long"): "wetsvoorstel",
    ("broadcast", "long"): "uitzending",
    ("entry", "long"): "lemma",
    ("entry-dictionary", "long"): "woordenboeklemma",
    ("entry-encyclopedia", "long"): "encyclopedielemma",
    ("event", "long"): "evenement",
    ("graphic", "long"): "afbeelding",
    ("hearing", "long"): "hoorzitting",
    ("hearing", "verb"): "getuigenis van",
    ("legal_case", "long"): "rechtszaak",
    ("legislation", "long"): "wetgeving",
    ("map", "long"): "kaart",
    ("motion_picture", "long"): "video-opname",
    ("musical_score", "long"): "partituur",
    ("pamphlet", "long"): "pamflet",
    ("paper-conference", "long"): "congresbijdrage",
    ("patent", "long"): "octrooi",
    ("performance", "long"): "voorstelling",
    ("periodical", "long"): "tijdschrift",
    ("podcast-episode", "long"): "podcastaflevering",
    ("post", "long"): "bericht",
    ("post-weblog", "long"): "blogbericht",
    ("radio-broadcast", "long"): "radio-uitzending",
    ("radio-series", "long"): "radioserie",
    ("radio-series-episode", "long"): "aflevering van een radioserie",
    ("regulation", "long"): "regelgeving",
    ("report", "long"): "rapport",
    ("report", "short"): "rapp.",
    ("review", "long"): "recensie",
    ("review", "short"): "rec.",
    ("review", "verb"): "recensie van",
    ("review-book", "long"): "boekbespreking",
    ("review-book", "short"): "boekbespr.",
    ("review-book", "verb"): "recensie van het boek",
    ("song", "long"): "geluidsopname",
    ("speech", "long"): "presentatie",
    ("standard", "long"): "norm",
    ("television-broadcast", "long"): "televisie-uitzending",
    ("television-series", "long"): "televisieserie",
    ("television-series-episode", "long"): "aflevering van een televisieserie",
    ("thesis", "long"): "proefschrift",
    ("treaty", "long"): "verdrag",
    ("webpage", "long"): "webpagina",
}

_ROLES_DE: dict[tuple[str, str], Text] = {
    ("editor-translator", "long"): ("Herausgeber & Übersetzer", "Herausgeber & Übersetzer"),
    ("editor-translator", "short"): ("Hrsg. & Übers.", "Hrsg. & Übers."),
    ("editor-translator", "verb"): "herausgegeben und übersetzt von",
    ("editor-translator", "verb-short"): "hg. & übers. von",
    ("composer", "long"): ("Komponist", "Komponisten"),
    ("composer", "verb"): "komponiert von",
    ("composer", "verb-short"): "komp. von",
    ("original-author", "verb"): "von",
    ("chair", "long"): ("Vorsitz", "Vorsitz"),
    ("chair", "verb"): "geleitet von",
    ("compiler", "long"): ("Zusammensteller", "Zusammensteller"),
    ("compiler", "short"): ("Zusst.", "Zusst."),
    ("compiler", "verb"): "zusammengestellt von",
    ("compiler", "verb-short"): "zusgest. von",
    ("contributor", "long"): ("Mitwirkende", "Mitwirkende"),
    ("contributor", "short"): ("Mitw.", "Mitw."),
    ("contributor", "verb"): "mit",
    ("curator", "long"): ("Kurator", "Kuratoren"),
    ("curator", "short"): ("Kur.", "Kur."),
    ("curator", "verb"): "kuratiert von",
    ("curator", "verb-short"): "kur. von",
    ("executive-producer", "long"): ("ausführende Produktion", "ausführende Produktion"),
    ("executive-producer", "short"): ("ausf. Prod.", "ausf. Prod."),
    ("executive-producer", "verb"): "ausführend produziert von",
    ("executive-producer", "verb-short"): "ausf. prod. von",
    ("guest", "long"): ("Gast", "Gäste"),
    ("host", "long"): ("Moderation", "Moderation"),
    ("host", "verb"): "moderiert von",
    ("narrator", "long"): ("Erzähler", "Erzähler"),
    ("narrator", "short"): ("Erz.", "Erz."),
    ("narrator", "verb"): "erzählt von",
    ("narrator", "verb-short"): "erz. von",
    ("organizer", "long"): ("Organisation", "Organisation"),
    ("organizer", "short"): ("Org.", "Org."),
    ("organizer", "verb"): "organisiert von",
    ("organizer", "verb-short"): "org. von",
    ("performer", "long"): ("Ausführende", "Ausführende"),
    ("performer", "short"): ("Ausf.", "Ausf."),
    ("performer", "verb"): "aufgeführt von",
    ("performer", "verb-short"): "aufgef. von",
    ("producer", "long"): ("Produktion", "Produktion"),
    ("producer", "short"): ("Prod.", "Prod."),
    ("producer", "verb"): "produziert von",
    ("producer", "verb-short"): "prod. von",
    ("script-writer", "long"): ("Drehbuch", "Drehbuch"),
    ("script-writer", "verb"): "geschrieben von",
    ("script-writer", "verb-short"): "geschr. von",
    ("series-creator", "long"): ("Serienschöpfer", "Serienschöpfer"),
    ("series-creator", "verb"): "geschaffen von",
}

_WORKS_DE: dict[tuple[str, str], Text] = {
    ("review-of", "long"): "Rezension von",
    ("review-of", "short"): "Rez. von",
    ("number", "long"): ("Nummer", "Nummern"),
    ("number", "short"): ("Nr.", "Nr."),
    ("article-journal", "long"): "Zeitschriftenartikel",
    ("article-magazine", "long"): "Magazinartikel",
    ("article-magazine", "short"): "Magazinart.",
    ("article-newspaper", "long"): "Zeitungsartikel",
    ("article-newspaper", "short"): "Zeitungsart.",
    ("bill", "long"): "Gesetzentwurf",
    ("broadcast", "long"): "Sendung",
    ("dataset", "long"): "Datensatz",
    ("document", "long"): "Dokument",
    ("document", "short"): "Dok.",
    ("entry", "long"): "Eintrag",
    ("entry-dictionary", "long"): "Wörterbucheintrag",
    ("entry-encyclopedia", "long"): "Lexikoneintrag",
    ("event", "long"): "Veranstaltung",
    ("graphic", "long"): "Grafik",
    ("hearing", "long"): "Anhörung",
    ("hearing", "verb"): "Aussage von",
    ("legal_case", "long"): "Rechtsfall",
    ("legislation", "long"): "Rechtsvorschrift",
    ("manuscript", "long"): "Manuskript",
    ("map", "long"): "Karte",
    ("motion_picture", "long"): "Videoaufnahme",
    ("musical_score", "long"): "Partitur",
    ("pamphlet", "long"): "Broschüre",
    ("paper-conference", "long"): "Konferenzbeitrag",
    ("patent", "long"): "Patent",
    ("performance", "long"): "Aufführung",
    ("periodical", "long"): "Zeitschrift",
    ("post", "long"): "Beitrag",
    ("post-weblog", "long"): "Blogbeitrag",
    ("regulation", "long"): "Verordnung",
    ("report", "long"): "Bericht",
    ("report", "short"): "Ber.",
    ("review", "long"): "Rezension",
    ("review", "short"): "Rez.",
    ("review", "verb"): "Rezension von",
    ("review-book", "long"): "Buchrezension",
    ("review-book", "short"): "Buchrez.",
    ("review-book", "verb"): "Rezension des Buches",
    ("software", "long"): "Software",
    ("song", "long"): "Tonaufnahme",
    ("speech", "long"): "Vortrag",
    ("standard", "long"): "Norm",
    ("thesis", "long"): "Hochschulschrift",
    ("treaty", "long"): "Vertrag",
    ("webpage", "long"): "Webseite",
}

_FR: dict[tuple[str, str], Text] = {
    ("editor-translator", "long"): ("éditeur et traducteur", "éditeurs et traducteurs"),
    ("editor-translator", "short"): ("éd. et trad.", "éd. et trad."),
    ("editor-translator", "verb"): "édité et traduit par",
    ("editor-translator", "verb-short"): "éd. et trad. par",
    ("collection-editor", "verb"): "édité par",
    ("collection-editor", "verb-short"): "éd. par",
    ("composer", "long"): ("compositeur", "compositeurs"),
    ("composer", "verb"): "composé par",
    ("composer", "verb-short"): "comp. par",
    ("original-author", "verb"): "par",
    ("hearing", "verb"): "témoignage de",
    ("review-of", "long"): "compte rendu de",
    ("review-of", "short"): "c. r. de",
    ("number", "long"): ("numéro", "numéros"),
    ("number", "short"): ("nᵒ", "nᵒˢ"),
}

#: Terms we supply, by language (the language subtag of the position's ``lang``).
OWN_TERMS: dict[str, dict[tuple[str, str], Text]] = {
    "nl": {**_ROLES_NL, **_WORKS_NL},
    "fr": _FR,
    "de": {**_ROLES_DE, **_WORKS_DE},
}
