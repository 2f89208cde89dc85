"""What each page shows, and for print how its PDF is made: one render job per output.

A template receives plain data only (:func:`standpunt.render.template.view_model`): the
position's texts with their citations resolved, its version as the page shows it, the partners
who signed this text, and a partner's edition if one was asked for. A print job also carries its
PDF's settings, among them the files the PDF embeds (:mod:`standpunt.build.attachments`).
"""

from __future__ import annotations

import calendar
import functools
from concurrent.futures import Future
from typing import Any

from standpunt.build.attachments import attachments
from standpunt.build.plan import OutputTask, Plan, PlannedPosition
from standpunt.buildstate.state import BuildOptions
from standpunt.cite.citeproc import CitedText
from standpunt.cite.notes import prepare
from standpunt.coalition import signatures as signing
from standpunt.i18n import format_date
from standpunt.render.request import PdfSettings
from standpunt.render.template import data_uri, read_stylesheet, view_model
from standpunt.render.workers import Job
from standpunt.versions.history import Stamp
from standpunt.workspace.read import Workspace
from standpunt.workspace.texts import texts


class Pages:
    """Makes the render jobs of one build; what all pages share is made once, when first used."""

    def __init__(self, workspace: Workspace, plan: Plan, options: BuildOptions) -> None:
        self.workspace = workspace
        self.plan = plan
        self.include_pending = options.include_pending
        self.variant = options.pdf_variant or workspace.config.pdf_variant
        # Made lazily, so that a problem in either is reported for each position like any
        # other (a failure is not remembered).
        self.stylesheet = functools.cache(functools.partial(read_stylesheet, plan.templates))
        self.edition = functools.cache(functools.partial(edition, workspace, options.edition))

    def jobs(
        self, planned: PlannedPosition, outputs: list[OutputTask], cited: Future[CitedText]
    ) -> list[Job]:
        """The jobs that make ``outputs`` of a position; its citations are waited for only
        once everything else about the position is known."""
        signed = {planned.id: planned.signatures}
        version = version_stamp(planned.stamp, planned.lang, self.workspace.labels(planned.lang))
        signers = signing.current_signers(self.workspace, planned.id, signed, planned.fingerprint)
        pending = []
        if self.include_pending:
            pending = [
                key
                for key, state, _ in signing.status(
                    self.workspace, planned.id, signed, planned.fingerprint
                )
                if state is not signing.SignatureState.SIGNED
            ]
        resolved = cited.result()
        names = {text.key: text.name for text in texts(planned.position)}
        jobs = []
        for task in outputs:
            prepared, expected = prepare(resolved, names, task.medium)
            context = view_model(
                self.workspace,
                planned.id,
                planned.position,
                prepared,
                self.stylesheet(task.medium),
                task.medium,
                version,
                signers=signers,
                pending=pending,
                edition=self.edition(),
            )
            context["fingerprint"] = planned.fingerprint
            pdf = None
            if task.medium == "print":
                pdf = self._pdf(planned, expected, version, signers)
            jobs.append(Job(task.key, self.plan.templates, context, task.medium, pdf))
        return jobs

    def _pdf(
        self,
        planned: PlannedPosition,
        expected: dict[str, str],
        version: dict[str, Any],
        signers: list[str],
    ) -> PdfSettings:
        """How the position's page becomes its PDF."""
        stamp = planned.stamp
        return PdfSettings(
            roots=(self.workspace.root, *self.plan.templates.folders),
            variant=self.variant,
            expected=expected,
            attachments=attachments(planned, version, signers),
            epoch=stamp.timestamp if stamp.versioned else _date_epoch(planned),
        )


def version_stamp(stamp: Stamp, lang: str, text: dict[str, str]) -> dict[str, Any]:
    """The version as a template shows it: ``stamp`` "versie a1b2c3d · 12 maart 2026" for a
    footer, ``short`` "a1b2c3d · 12 maart 2026" beside a "version" label."""
    label = stamp.label
    if not stamp.versioned:
        short = f"{label} · {text['not_versioned']}" if label else text["not_versioned"]
        full = f"{text['version']} {short}" if label else short
        return {
            "versioned": False,
            "label": label,
            "commit": None,
            "date": None,
            "modified": False,
            "tag": None,
            "stamp": full,
            "short": short,
        }
    parts = [f"{label} ({stamp.commit})" if label else str(stamp.commit)]
    if stamp.date:
        parts.append(format_date(stamp.date, lang))
    if stamp.modified:
        parts.append(text["modified"])
    short = " · ".join(parts)
    return {"versioned": True, "label": label, "commit": stamp.commit,
            "date": stamp.date.isoformat() if stamp.date else None,
            "modified": stamp.modified, "tag": stamp.tag,
            "stamp": f"{text['version']} {short}", "short": short}  # fmt: skip


def edition(workspace: Workspace, key: str | None) -> dict[str, Any] | None:
    """A partner's edition as the cover shows it: its name, logo and colour (None: our own)."""
    if key is None:
        return None
    partner = workspace.config.partners[key]
    return {
        "key": key,
        "name": partner.name,
        "short": partner.short,
        "colour": partner.colour,
        "logo": data_uri(
            workspace, partner.logo, workspace.setting_location("partners", key, "logo")
        ),
    }


def _date_epoch(planned: PlannedPosition) -> int | None:
    """Outside git, the position's own date stands in for the commit time."""
    date = planned.position.date
    return None if date is None else calendar.timegm(date.timetuple())
