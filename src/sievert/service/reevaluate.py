"""Re-evaluation after a vulnerability DB update: stored inventories matched again (no layer is
read), the difference stored, policies evaluated again, subscribers told."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from msgspec.structs import replace
from sqlalchemy import select

from sievert import pipeline, vulndb
from sievert.model.finding import Finding, ScanResult
from sievert.service import history
from sievert.service.analysis import store_result
from sievert.service.certify import attached_policy, certify, stored_result
from sievert.service.database import Database
from sievert.service.dbidentity import db_identity
from sievert.service.models import Certification, Image, ImageDiff
from sievert.service.settings import Settings
from sievert.service.webhooks import notify

log = logging.getLogger("sievert.service")


class Outcome(msgspec.Struct):
    """What one re-evaluation pass did."""

    db_built: str = ""
    images: int = 0
    changed: int = 0
    deliveries: list[int] | None = None


def _key(finding: Finding) -> tuple[str, str]:
    return finding.id, finding.package.purl or f"{finding.package.name}@{finding.package.version}"


def _brief(finding: Finding) -> dict[str, Any]:
    return {
        "vuln_id": finding.id,
        "package": finding.package.name,
        "version": finding.package.version,
        "severity": finding.severity,
        "fix_state": finding.fix_state,
    }


def diff(before: ScanResult, after: ScanResult) -> dict[str, list[dict[str, Any]]]:
    """Findings added, removed and changed (severity or fix state) between two results."""
    old = {_key(f): f for f in before.findings}
    new = {_key(f): f for f in after.findings}
    changed = [
        {**_brief(new[k]), "before": {"severity": old[k].severity, "fix_state": old[k].fix_state}}
        for k in sorted(old.keys() & new.keys())
        if (old[k].severity, old[k].fix_state) != (new[k].severity, new[k].fix_state)
    ]
    return {
        "added": [_brief(new[k]) for k in sorted(new.keys() - old.keys())],
        "removed": [_brief(old[k]) for k in sorted(old.keys() - new.keys())],
        "changed": changed,
    }


def needs_reevaluation(database: Database, settings: Settings) -> str:
    """The DB identity to re-evaluate against when an analysed image was last matched with
    another DB, else "".

    Each image records the DB it was matched with, so nothing depends on when this is first
    called: a DB swapped before the first check, or an analysis that read the old DB and
    finished after a re-evaluation began, still leaves an image to match again."""
    identity = db_identity(settings)
    if not identity:
        return ""
    with database.session() as session:
        stale = session.scalar(
            select(Image.id)
            .where(Image.status == "analysed", Image.db_identity != identity)
            .limit(1)
        )
    return identity if stale is not None else ""


def reevaluate_all(database: Database, settings: Settings) -> Outcome:
    """Match every analysed image again with the current DB, one transaction per image."""
    outcome = Outcome(deliveries=[])
    identity = db_identity(settings)  # before the DB is opened: never newer than what is read
    with vulndb.open(settings.vuln_db) as db:
        outcome.db_built = db.status().built_at
        with database.session() as session:
            ids = session.scalars(
                select(Image.id).where(Image.status == "analysed").order_by(Image.id)
            ).all()
        for image_id in ids:
            outcome.images += 1
            if _reevaluate_one(database, db, image_id, identity, outcome):
                outcome.changed += 1
    with database.session() as session:
        history.record_fleet(session, history.DB_UPDATE, outcome.db_built)
    return outcome


def _reevaluate_one(
    database: Database, db: vulndb.VulnDB, image_id: int, identity: str, out: Outcome
) -> bool:
    with database.session() as session:
        image = session.get(Image, image_id)
        if image is None or image.status != "analysed":
            return False
        image.db_identity = identity
        before = stored_result(session, image)
        if before is None:  # nothing stored to match again: not asked for again either
            return False
        matched = pipeline.match_inventory(before.inventory, db)
        after = replace(
            matched,
            config_findings=before.config_findings,
            secret_findings=before.secret_findings,
            scanners=before.scanners,
            layer_sources=before.layer_sources,
        )
        changes = diff(before, after)
        built_before = image.db_built
        if not any(changes.values()):
            image.db_built = after.db_built
            history.record_image(session, image, history.DB_UPDATE)
            return False
        verdict_before = _latest_verdict(session, image_id)
        store_result(session, image, after)
        history.record_image(session, image, history.DB_UPDATE)
        verdict_after = verdict_before
        policy = attached_policy(session, image.reference)
        if policy is not None:
            verdict_after = certify(session, image, after, policy).verdict
        session.add(
            ImageDiff(
                image_id=image_id,
                db_built_before=built_before,
                db_built_after=after.db_built,
                added=changes["added"],
                removed=changes["removed"],
                changed=changes["changed"],
                verdict_before=verdict_before,
                verdict_after=verdict_after,
            )
        )
        payload = {
            "image_id": image_id,
            "digest": image.manifest_digest,
            "db_built": after.db_built,
            **changes,
        }
        made = notify(session, "vuln_update", image.reference, payload)
        if verdict_after != verdict_before:
            made += notify(
                session,
                "policy_eval",
                image.reference,
                {"image_id": image_id, "before": verdict_before, "after": verdict_after},
            )
    if out.deliveries is not None:
        out.deliveries.extend(made)
    return True


def _latest_verdict(session: Any, image_id: int) -> str:
    verdict = session.scalar(
        select(Certification.verdict)
        .where(Certification.image_id == image_id)
        .order_by(Certification.id.desc())
        .limit(1)
    )
    return str(verdict) if verdict else ""
