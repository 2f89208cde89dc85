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
from dataclasses import dataclass
from typing import Any

from standpunt.build.attachments import attachments
from standpunt.build.plan import OutputTask, Plan, PlannedPosition
from standpunt.buildstate.state import BuildOptions
from standpunt.choices import Medium
from standpunt.cite.citeproc import CitedText, PieceSpec
from standpunt.cite.notes import View, prepare
from standpunt.coalition import signatures as signing
from standpunt.render.request import PdfSettings
from standpunt.render.template import (
    Page,
    Version,
    data_uri,
    probe_fields,
    read_stylesheet,
    reading_order,
    render_html,
    version_stamp,
    view_model,
)
from standpunt.render.workers import Job
from standpunt.workspace.paths import BUILTIN_TEMPLATES
from standpunt.workspace.read import Workspace
from standpunt.workspace.texts import pieces


@dataclass(frozen=True)
class Facts:
    """What a position's pages show besides its texts: its version and its co-signers."""

    version: Version
    #: The partners whose signature holds this text.
    signers: list[str]
    #: The partners yet to sign, shown as pending in drafts.
    pending: list[str]


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
        facts = self._facts(planned)
        resolved = cited.result()
        names = {piece.key: piece.text.name for piece in pieces(planned.position)}
        jobs = []
        for task in outputs:
            prepared, expected = prepare(resolved, names, task.medium)
            context = view_model(self._page(planned, task.medium, prepared, facts))
            pdf = None
            if task.medium == "print":
                pdf = self._pdf(planned, expected, facts.version, facts.signers)
            jobs.append(Job(task.key, self.plan.templates, context, task.medium, pdf))
        return jobs

    @property
    def own_template(self) -> bool:
        """Whether pages use only Standpunt's own template, which may be rendered in this
        process; a workspace's template renders only in a render worker, under its limits."""
        return self.plan.templates.folders == (BUILTIN_TEMPLATES / "default",)

    def probe(self, planned: PlannedPosition, medium: Medium, key: str) -> Job:
        """A job that renders the position's page in ``medium`` with a mark in place of each
        piece of its texts, for :meth:`order_from`."""
        keys = [piece.key for piece in pieces(planned.position)]
        probe = View(probe_fields(keys), bibliography="", notes="")
        context = view_model(self._page(planned, medium, probe, self._facts(planned)))
        return Job(key, self.plan.templates, context, "screen")

    def order_from(self, planned: PlannedPosition, page: str) -> list[PieceSpec]:
        """The pieces of the position's texts in the order ``page``, its probe rendered,
        prints them: the template decides the reading order."""
        declared = {piece.key: piece for piece in pieces(planned.position)}
        order = reading_order(list(declared), page)
        return [(key, declared[key].text.key, declared[key].part) for key in order]

    def reading_order(self, planned: PlannedPosition, medium: Medium) -> list[PieceSpec]:
        """The reading order of the position's page in ``medium``, its probe rendered here
        (for Standpunt's own template only)."""
        job = self.probe(planned, medium, planned.id)
        return self.order_from(planned, render_html(job.templates, job.context))

    def _facts(self, planned: PlannedPosition) -> Facts:
        """What every page of the position shows besides its texts."""
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
        return Facts(version, signers, pending)

    def _page(self, planned: PlannedPosition, medium: Medium, view: View, facts: Facts) -> Page:
        return Page(
            workspace=self.workspace,
            position_id=planned.id,
            position=planned.position,
            cited=view,
            stylesheet=self.stylesheet(medium),
            medium=medium,
            version=facts.version,
            fingerprint=planned.fingerprint,
            signers=facts.signers,
            pending=facts.pending,
            edition=self.edition(),
        )

    def _pdf(
        self,
        planned: PlannedPosition,
        expected: dict[str, str],
        version: Version,
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
