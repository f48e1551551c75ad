"""Runtime audits and host scans sent to the service: validated, stored, and each container
linked to the stored image it runs (by config digest, else by reference)."""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from sievert.errors import LimitError, SievertError
from sievert.limits import jsonload
from sievert.model.reference import parse_reference
from sievert.service.fleet_schemas import (
    ContainerIn,
    HostIn,
    HostScanIn,
    RunningContainer,
    RuntimeAuditIn,
)
from sievert.service.models import HostRecord, Image, RuntimeAuditRecord, RuntimeContainer

MAX_RESULT_BODY = 32 * 1024 * 1024
"""The largest runtime audit or host scan document accepted (bounded by the upload limit too)."""
M = TypeVar("M", bound=BaseModel)
RISKS = ("critical", "high", "medium", "low", "negligible", "unknown", "none")


def parse_document(data: bytes, model: type[M]) -> M:
    """The upload as `model`; 422 naming the first problems when it is not one."""
    try:
        decoded = jsonload.loads(data, "the body")
    except LimitError as exc:
        raise HTTPException(422, str(exc)) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(422, f"the body is not JSON ({exc})") from exc
    try:
        return model.model_validate(decoded)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise HTTPException(422, f"not a {model.__doc__ or model.__name__}: {problems}") from exc


def linked_image(session: Session, digest: str, reference: str) -> int | None:
    """The newest analysed stored image with this config digest, else with this reference."""
    analysed = Image.status == "analysed"
    if digest:
        found = session.scalar(
            select(Image.id)
            .where(Image.config_digest == digest, analysed)
            .order_by(Image.id.desc())
            .limit(1)
        )
        if found is not None:
            return found
    try:
        normal = str(parse_reference(reference)) if reference else ""
    except (SievertError, ValueError):
        normal = ""
    candidates = list(dict.fromkeys(r for r in (normal, reference) if r))
    if not candidates:
        return None
    return session.scalar(
        select(Image.id)
        .where(Image.reference.in_(candidates), analysed)
        .order_by(Image.id.desc())
        .limit(1)
    )


def store_audit(session: Session, audit: RuntimeAuditIn, token: str) -> RuntimeAuditRecord:
    """Store a runtime audit and its containers (riskiest first); the new row."""
    risk = dict.fromkeys(RISKS, 0)
    for container in audit.containers:
        risk[container.risk.severity] += 1
    record = RuntimeAuditRecord(
        engine=audit.engine,
        image_scan=audit.image_scan,
        container_count=len(audit.containers),
        risk=risk,
        tool_version=audit.tool.version,
        submitted_by=token,
    )
    session.add(record)
    session.flush()
    ordered = sorted(audit.containers, key=lambda c: (RISKS.index(c.risk.severity), c.name))
    for position, container in enumerate(ordered):
        session.add(_container_row(session, record.id, position, container))
    session.flush()
    session.refresh(record)  # the stored timestamps, as later reads give them
    return record


def _container_row(
    session: Session, audit_id: int, position: int, container: ContainerIn
) -> RuntimeContainer:
    scan = container.image_scan
    return RuntimeContainer(
        audit_id=audit_id,
        position=position,
        container_id=container.id,
        name=container.name,
        image_ref=container.image,
        image_digest=container.image_id,
        image_id=linked_image(session, container.image_id, container.image),
        risk=container.risk.severity,
        risk_reason=container.risk.reason,
        findings=[f.model_dump(by_alias=True) for f in container.findings],
        rules=sorted({f.rule_id for f in container.findings}),
        vulnerabilities=dict(scan.vulnerabilities) if scan else {},
        image_error=scan.error if scan else "",
        verdict=container.verdict.action if container.verdict else "",
    )


def containers_of(session: Session, audit_id: int) -> list[RuntimeContainer]:
    """An audit's containers, riskiest first."""
    return list(
        session.scalars(
            select(RuntimeContainer)
            .where(RuntimeContainer.audit_id == audit_id)
            .order_by(RuntimeContainer.position)
        ).all()
    )


def running_image(session: Session, image: Image) -> list[RunningContainer]:
    """The containers running this image in the latest audit of each engine."""
    runs = RuntimeContainer.image_id == image.id
    if image.config_digest:
        runs = or_(runs, RuntimeContainer.image_digest == image.config_digest)
    return running(session, [runs], 1000, 0)


def running(
    session: Session, where: list[ColumnElement[bool]], limit: int, offset: int
) -> list[RunningContainer]:
    """Containers of the latest audit of each engine meeting `where`, engine by engine."""
    latest = select(func.max(RuntimeAuditRecord.id)).group_by(RuntimeAuditRecord.engine)
    rows = session.execute(
        select(RuntimeContainer, RuntimeAuditRecord.engine, RuntimeAuditRecord.created_at)
        .join(RuntimeAuditRecord, RuntimeAuditRecord.id == RuntimeContainer.audit_id)
        .where(and_(RuntimeContainer.audit_id.in_(latest), *where))
        .order_by(RuntimeContainer.audit_id.desc(), RuntimeContainer.position)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        RunningContainer.model_validate({**_columns(row), "engine": engine, "audited_at": at})
        for row, engine, at in rows
    ]


def running_count(session: Session, where: list[ColumnElement[bool]]) -> int:
    """How many containers `running` would list without a limit."""
    latest = select(func.max(RuntimeAuditRecord.id)).group_by(RuntimeAuditRecord.engine)
    query = select(func.count(RuntimeContainer.id)).where(
        RuntimeContainer.audit_id.in_(latest), *where
    )
    return session.scalar(query) or 0


def container_filters(
    rule: str, risk: str, image_id: int | None, name: str
) -> list[ColumnElement[bool]]:
    """SQL conditions for the running-container filters ('' or None: no condition)."""
    where: list[ColumnElement[bool]] = []
    if rule:
        where.append(cast(RuntimeContainer.rules, String).contains(f'"{rule}"', autoescape=True))
    if risk:
        where.append(RuntimeContainer.risk == risk)
    if image_id is not None:
        where.append(RuntimeContainer.image_id == image_id)
    if name:
        where.append(RuntimeContainer.name == name)
    return where


def _columns(row: RuntimeContainer) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in RuntimeContainer.__table__.columns}


def store_hosts(session: Session, scan: HostScanIn, token: str) -> list[HostRecord]:
    """Store every host of a host scan; the new rows in the order given."""
    rows = [_host_row(host, scan.tool.version, token) for host in scan.hosts]
    session.add_all(rows)
    session.flush()
    for row in rows:
        session.refresh(row)
    return rows


def _host_row(host: HostIn, version: str, token: str) -> HostRecord:
    return HostRecord(
        name=host.name,
        target=host.target,
        error=host.error,
        distro=host.distro,
        kernel_running=host.kernel.running,
        kernel_newest=host.kernel.newest_installed,
        running_kernel_packages=list(host.kernel.running_packages),
        reboot_required=host.reboot_required,
        reboot_reasons=list(host.reboot_reasons),
        package_count=host.packages,
        vuln_count=len(host.findings),
        escape_count=sum(1 for f in host.findings if f.container_escape),
        summary=dict(host.vulnerabilities),
        findings=[f.model_dump(by_alias=True) for f in host.findings],
        notices=list(host.notices),
        tool_version=version,
        submitted_by=token,
    )
