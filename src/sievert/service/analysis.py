"""One image's analysis: open it, run the pipeline, store the result (idempotent on retry)."""

from __future__ import annotations

import base64
import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import replace
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sievert import pipeline
from sievert.errors import SievertError
from sievert.model import Platform
from sievert.model.finding import ScanResult
from sievert.model.record import repr_without, shown_fields
from sievert.model.reference import parse_reference
from sievert.model.vuln import preferred_cvss
from sievert.report.base import tool_version
from sievert.report.sbom_input import parse_sbom
from sievert.report.scan.native import scan_document
from sievert.service.database import Database
from sievert.service.dbidentity import db_identity
from sievert.service.layerstore import FleetLayerStore, UploaderLayerStore
from sievert.service.models import (
    Image,
    ImageCheck,
    ImageLayer,
    ImagePackage,
    ImageReport,
    ImageVuln,
    Registry,
    utcnow,
)
from sievert.service.remote import ImageDescription, metadata_of
from sievert.service.security import Cipher
from sievert.service.settings import Settings
from sievert.source.base import SECRET_FIELDS, SourceOptions
from sievert.source.described import DescribedImage

log = logging.getLogger("sievert.service")
AfterAnalysis = Callable[[Session, Image, ScanResult], None]
"""A step run in the transaction that stores a result (e.g. policy evaluation)."""
SCANNERS = ("vuln", "config", "secret")


class Job(msgspec.Struct, frozen=True):
    """What a worker needs to analyse one image."""

    image_id: int
    source: str
    reference: str
    upload_path: str
    platform: str
    username: str = ""
    password: str = ""
    insecure: bool = False
    authorization: str = ""
    """A bearer token handed over with the request (Harbor), sent to the registry as it is."""

    def __repr__(self) -> str:
        """The fields but the password and the authorization."""
        return repr_without(self, SECRET_FIELDS)

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What rich shows: the fields but the password and the authorization."""
        return shown_fields(self, SECRET_FIELDS)


class Analyser:
    """Runs analyses against one database, vulnerability DB and fleet layer store."""

    def __init__(self, db: Database, settings: Settings, cipher: Cipher) -> None:
        self.db = db
        self.settings = settings
        self.cipher = cipher
        self.layers = FleetLayerStore(db)
        self.after_analysis: list[AfterAnalysis] = []
        """Called in the storing transaction (e.g. policy evaluation)."""

    def analyse(self, image_id: int) -> str:
        """Analyse one image; returns its final status. Input problems mark it failed."""
        job = self._claim(image_id)
        if job is None:
            return "missing"
        identity = db_identity(self.settings)  # before the match opens it: see db_identity
        try:
            result = self._run(job)
        except SievertError as exc:
            self.fail(image_id, str(exc))
            return "failed"
        except (MemoryError, RecursionError) as exc:
            self.fail(image_id, f"the image is too large or too deeply nested ({exc!r})")
            return "failed"
        self._store(image_id, result, identity)
        _discard_upload(job.upload_path)
        return "analysed"

    def _claim(self, image_id: int) -> Job | None:
        with self.db.session() as session:
            image = session.get(Image, image_id)
            if image is None:
                return None
            image.status = "analysing"
            image.reason = ""
            image.attempts += 1
            image.updated_at = utcnow()
            return self._job(session, image)

    def _job(self, session: Session, image: Image) -> Job:
        job = Job(image.id, image.source, image.reference, image.upload_path, image.platform)
        if image.source != "registry":
            return job
        pull = self.cipher.decrypt(image.pull_auth)
        if pull:
            return _with_pull_secret(job, pull)
        host = parse_reference(image.reference).domain
        user, password, insecure = stored_credentials(session, self.cipher, self.settings, host)
        return replace(job, username=user, password=password, insecure=insecure)

    def _run(self, job: Job) -> ScanResult:
        if job.source == "sbom":
            data = _read_upload(job.upload_path)
            inventory = parse_sbom(data, job.reference or "the SBOM")
            return pipeline.scan_inventory(inventory, self.settings.vuln_db)
        if job.source == "client":
            return self._run_described(job)
        try:
            platform = Platform.parse(job.platform)
        except ValueError as exc:
            raise SievertError(str(exc)) from exc
        source = SourceOptions(
            platform=platform,
            insecure_registry=job.insecure,
            username=job.username,
            password=job.password,
            authorization=job.authorization,
        )
        options = pipeline.ScanOptions(
            inventory=pipeline.InventoryOptions(source=source, layer_store=self.layers),
            db_path=self.settings.vuln_db,
            scanners=SCANNERS,
        )
        target = f"registry:{job.reference}" if job.source == "registry" else job.upload_path
        if job.source != "registry" and not Path(job.upload_path).is_file():
            raise SievertError("the uploaded archive is no longer in the storage directory")
        return pipeline.scan(target, options)

    def _run_described(self, job: Job) -> ScanResult:
        """Assemble a client-described image from the fleet's and its uploader's analyses."""
        uploader, description = read_described(_read_upload(job.upload_path))
        options = pipeline.ScanOptions(
            inventory=pipeline.InventoryOptions(
                layer_store=UploaderLayerStore(self.db, uploader), use_cache=False
            ),
            db_path=self.settings.vuln_db,
            scanners=SCANNERS,
        )
        image = DescribedImage(metadata_of(description, job.reference))
        try:
            return pipeline.scan(image, options)
        except SievertError:
            raise
        except Exception as exc:  # uploaded analyses are hostile input: their uploader's failure
            log.warning(
                "image %s: uploaded analyses failed to assemble", job.image_id, exc_info=True
            )
            raise SievertError(
                f"the uploaded layer analyses could not be assembled ({type(exc).__name__})"
            ) from exc

    def fail(self, image_id: int, reason: str) -> None:
        """Mark the image failed with the reason (its first line)."""
        with self.db.session() as session:
            image = session.get(Image, image_id)
            if image is not None:
                image.status = "failed"
                image.reason = reason.strip().splitlines()[0] if reason.strip() else "failed"
                image.pull_auth = b""
                image.updated_at = utcnow()

    def _store(self, image_id: int, result: ScanResult, identity: str) -> None:
        with self.db.session() as session:
            image = session.get(Image, image_id)
            if image is None:
                return
            store_result(session, image, result)
            image.db_identity = identity
            for hook in self.after_analysis:
                hook(session, image, result)


def stored_credentials(
    session: Session, cipher: Cipher, settings: Settings, host: str
) -> tuple[str, str, bool]:
    """(username, password, plain HTTP?) for a registry host from its stored entry."""
    entry = session.scalar(select(Registry).where(Registry.host == host))
    insecure = host in settings.insecure_registries
    if entry is None:
        return "", "", insecure
    return entry.username, cipher.decrypt(entry.secret), insecure or entry.insecure


def store_result(session: Session, image: Image, result: ScanResult) -> None:
    """Replace an image's stored findings with this result's (so a retry duplicates nothing)."""
    for table in (ImageLayer, ImagePackage, ImageVuln, ImageCheck, ImageReport):
        session.execute(delete(table).where(table.image_id == image.id))
    inventory = result.inventory
    meta = inventory.image
    session.add_all(
        ImageLayer(
            image_id=image.id,
            position=layer.index,
            digest=layer.digest,
            diff_id=layer.diff_id,
            size=layer.size,
            created_by=layer.created_by,
        )
        for layer in meta.layers
    )
    session.add_all(
        ImagePackage(
            image_id=image.id,
            position=n,
            name=p.name,
            version=p.version,
            type=p.type,
            purl=p.purl,
            introduced_by=p.introduced_by,
            files=list(p.files) or [loc.path for loc in p.locations],
        )
        for n, p in enumerate(inventory.packages)
    )
    session.add_all(
        ImageVuln(
            image_id=image.id,
            position=n,
            vuln_id=f.id,
            severity=f.severity,
            fix_state=f.fix_state,
            fixed_versions=list(f.fixed_versions),
            package_name=f.package.name,
            package_version=f.package.version,
            package_type=f.package.type,
            purl=f.package.purl,
            epss=f.vulnerability.epss_score,
            kev=bool(f.vulnerability.kev_date_added),
            layer_index=f.package.introduced_by,
            risk=f.risk,
            cvss_score=best.base_score if best else None,
            cvss_vector=best.vector[:200] if best else "",
        )
        for n, f in enumerate(result.findings)
        for best in [preferred_cvss(f.vulnerability.cvss)]
    )
    checks = [
        ImageCheck(
            image_id=image.id,
            position=0,
            kind="config",
            rule_id=c.rule.id,
            severity=c.severity,
            title=c.rule.title,
            message=c.message,
            path=c.region.path,
            line=c.region.start_line,
            layer_index=c.region.layer_index,
        )
        for c in result.config_findings
    ] + [
        ImageCheck(
            image_id=image.id,
            position=0,
            kind="secret",
            rule_id=s.rule.id,
            severity=s.severity or s.rule.severity,
            title=s.rule.title,
            message=s.redacted,
            path=s.region.path,
            line=s.region.start_line,
            layer_index=s.region.layer_index,
        )
        for s in result.secret_findings
    ]
    for n, check in enumerate(checks):
        check.position = n
    session.add_all(checks)
    session.add(ImageReport(image_id=image.id, document=scan_document(result, tool_version())))
    summary = dict.fromkeys(("critical", "high", "medium", "low", "negligible", "unknown"), 0)
    for finding in result.findings:
        key = finding.severity.lower()
        summary[key if key in summary else "unknown"] += 1
    image.manifest_digest = meta.manifest_digest or image.manifest_digest
    image.config_digest = meta.config_digest
    image.distro = inventory.distro.pretty_name if inventory.distro else ""
    image.platform = str(meta.platform) if meta.source_kind != "sbom" else image.platform
    image.package_count = len(inventory.packages)
    image.vuln_count = len(result.findings)
    image.summary = summary
    image.db_built = result.db_built
    image.status = "analysed"
    image.reason = ""
    image.pull_auth = b""
    image.upload_path = ""
    image.analysed_at = image.updated_at = utcnow()


def _with_pull_secret(job: Job, secret: str) -> Job:
    """Credentials from a stored pull secret: Harbor's Authorization value and whether its
    registry speaks plain HTTP. "Basic" robot credentials answer the registry's challenge (and
    its token service's); a "Bearer" token is sent to the registry as it is."""
    try:
        data = json.loads(secret)
    except ValueError:
        return job
    header = str(data.get("authorization", ""))
    insecure = bool(data.get("insecure", False))
    scheme, _, value = header.partition(" ")
    user = password = ""
    if scheme.lower() == "bearer" and value.strip():
        return replace(
            job, authorization=f"Bearer {value.strip()}", insecure=job.insecure or insecure
        )
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user = password = ""
    return replace(job, username=user, password=password, insecure=job.insecure or insecure)


def read_described(data: bytes) -> tuple[str, ImageDescription]:
    """The uploader and description a described image's job reads (written by the route)."""
    try:
        stored = json.loads(data)
        return str(stored["uploader"]), ImageDescription.model_validate(stored["description"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SievertError("the stored image description is damaged") from exc


def _read_upload(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SievertError(f"the uploaded file cannot be read ({exc.strerror})") from exc


def _discard_upload(path: str) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def storage_temp(settings: Settings, suffix: str) -> tuple[int, str]:
    """A new file in the storage directory (descriptor and path) for an upload."""
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix="upload-", suffix=suffix, dir=settings.storage_dir)
