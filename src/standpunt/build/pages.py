"""What each page shows, and for print how its PDF is made: one render job per output.

A template receives plain data only (:func:`standpunt.render.template.view_model`): the
position's texts with their citations resolved, its version as the page shows it, the partners
who signed this text, and a partner's edition if one was asked for. A print job also carries its
PDF's settings, among them the files the PDF embeds (:mod:`standpunt.build.attachments`).
"""

from __future__ import annotations

import calendar
import datetime as dt
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
from standpunt.coalition.signatures import Signature
from standpunt.errors import Location, StandpuntError
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
from standpunt.versions.history import Stamp
from standpunt.workspace.paths import BUILTIN_TEMPLATES, POSITIONS_DIR
from standpunt.workspace.read import Workspace
from standpunt.workspace.schema import Organisation
from standpunt.workspace.texts import pieces

SIGNED = signing.SignatureState.SIGNED


@dataclass(frozen=True)
class Facts:
    """What a position's pages show besides its texts: its version, its co-signers, whose
    edition it is and where it comes from."""

    version: Version
    #: The signatures that hold this text.
    holding: list[Signature]
    #: The partners whose signature holds this text.
    signers: list[str]
    #: The partners yet to sign, shown as pending in drafts.
    pending: list[str]
    edition: dict[str, Any] | None
    origin: Origin


class Pages:
    """Makes the render jobs of one build; what all pages share is made once, when first used."""

    def __init__(self, workspace: Workspace, plan: Plan, options: BuildOptions) -> None:
        self.workspace = workspace
        self.plan = plan
        self.include_pending = options.include_pending
        self.allow_modified = options.allow_modified
        self.variant = options.pdf_variant or workspace.config.pdf_variant
        # Made lazily, so that a problem in either is reported for each position like any
        # other (a failure is not remembered).
        self.stylesheet = functools.cache(functools.partial(read_stylesheet, plan.templates))
        self.edition = functools.cache(functools.partial(edition, workspace, options.edition))
        # Each position's facts, made once for its probe and its pages (verifying signatures).
        self._known: dict[str, Facts] = {}

    def jobs(
        self, planned: PlannedPosition, outputs: list[OutputTask], cited: Future[CitedText]
    ) -> list[Job]:
        """The jobs that make ``outputs`` of a position; its citations are waited for only
        once everything else about the position is known."""
        facts = self._facts(planned)
        if any(task.medium == "print" for task in outputs):
            self._refuse_modified(planned)
        resolved = cited.result()
        names = {piece.key: piece.text.name for piece in pieces(planned.position)}
        jobs = []
        for task in outputs:
            prepared, expected = prepare(resolved, names, task.medium)
            context = view_model(self._page(planned, task.medium, prepared, facts))
            pdf = None
            if task.medium == "print":
                pdf = self._pdf(planned, expected, facts.version, facts.holding, facts.origin)
            jobs.append(Job(task.key, self.plan.templates, context, task.medium, pdf))
        return jobs

    def _refuse_modified(self, planned: PlannedPosition) -> None:
        """An adopted position's PDF is the adopted text: with uncommitted changes it is made
        only when asked (``--allow-modified``), and then marked as a working copy."""
        stamp = planned.stamp
        if planned.position.status != "adopted" or not (stamp.versioned and stamp.modified):
            return
        if self.allow_modified:
            return
        raise StandpuntError(
            f"'{planned.id}' is adopted, but it or the evidence it cites has changes that are not "
            "committed, so its PDF would not be the adopted text. Commit the changes (git "
            "commit), or build with --allow-modified to make a working copy, marked as such "
            "on every page",
            Location(f"{POSITIONS_DIR}/{planned.id}.yaml"),
            "modified-adopted",
        )

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
        return Job(key, self.plan.templates, context, "screen", probe=True)

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
        """What every page of the position shows besides its texts; an error if the build
        makes a partner's edition of a text that partner has not signed."""
        known = self._known.get(planned.id)
        if known is None:
            known = self._known[planned.id] = self._gather(planned)
        return known

    def _gather(self, planned: PlannedPosition) -> Facts:
        signed = {planned.id: planned.signatures}
        states = signing.status(self.workspace, planned.id, signed, planned.fingerprint)
        holding = [s for _, state, s in states if state is SIGNED and s is not None]
        signers = [signature.partner for signature in holding]
        edition = self.edition()
        if edition is not None and edition["key"] not in signers:
            raise _not_a_signer(planned.id, edition["key"], signers)
        pending = []
        if self.include_pending:
            pending = [key for key, state, _ in states if state is not SIGNED]
        origin = Origin(self.workspace, planned)
        version = origin.version or version_stamp(
            planned.stamp,
            planned.lang,
            self.workspace.labels(planned.lang),
            status=planned.position.status,
            dated=planned.position.date,
        )
        return Facts(version, holding, signers, pending, edition, origin)

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
            edition=facts.edition,
            verified=[s.partner for s in facts.holding if s.proof is signing.Proof.VERIFIED],
            publisher=facts.origin.publisher,
            origin=facts.origin.based_on,
            pending_build=self.include_pending,
            signed={s.partner: {"by": s.by, "role": s.role, "date": s.date} for s in facts.holding},
        )

    def _pdf(
        self,
        planned: PlannedPosition,
        expected: dict[str, str],
        version: Version,
        signers: list[Signature],
        origin: Origin,
    ) -> PdfSettings:
        """How the position's page becomes its PDF."""
        stamp = planned.stamp
        epoch = stamp.timestamp if stamp.versioned else _date_epoch(planned.position.date)
        if origin.version is not None:
            epoch = _date_epoch(origin.date)
        return PdfSettings(
            roots=(self.workspace.root, *self.plan.templates.folders),
            variant=self.variant,
            expected=expected,
            attachments=attachments(self.workspace, planned, version, signers, origin.publisher),
            epoch=epoch,
        )


def _not_a_signer(position_id: str, key: str, signers: list[str]) -> StandpuntError:
    """A partner's edition of a text the partner has not signed would claim what it did not."""
    who = ", ".join(signers) if signers else "nobody yet"
    return StandpuntError(
        f"no edition for partner '{key}': its signature does not hold the current text of "
        f"'{position_id}' (signed by: {who}). Ask the partner to sign first (standpunt "
        f"sign {position_id} --partner {key} ...), or make an edition for one who signed",
        code="edition-not-signed",
    )


class Origin:
    """Who publishes a position: an imported position built unchanged names its original
    publisher and version; once edited it is ours, "based on" the original."""

    def __init__(self, workspace: Workspace, planned: PlannedPosition) -> None:
        origin = planned.position.origin
        unchanged = origin is not None and origin.fingerprint == planned.fingerprint
        labels = workspace.labels(planned.lang)
        self.publisher: Organisation = workspace.config.organisation
        self.version: Version | None = None
        self.date: dt.date | None = None
        self.based_on: dict[str, Any] | None = None
        if origin is None:
            return
        stamp = Stamp(
            versioned=origin.commit is not None,
            commit=origin.commit,
            date=origin.date,
            label=origin.version,
        )
        # dated as the publisher's own PDF is: the position's date, else its commit's
        dated = planned.position.date or origin.date
        theirs = version_stamp(
            stamp, planned.lang, labels, status=planned.position.status, dated=dated
        )
        if unchanged:
            self.publisher, self.version, self.date = origin.publisher, theirs, origin.date
        else:
            self.based_on = {"publisher": origin.publisher.name, "version": theirs["short"]}


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


def _date_epoch(date: dt.date | None) -> int | None:
    """Outside git, the position's own date (or its origin's) stands in for the commit time."""
    return None if date is None else calendar.timegm(date.timetuple())
