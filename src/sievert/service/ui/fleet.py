"""The web UI's pages for what runs: the containers of the latest runtime audit of each engine,
and the latest report of each scanned host with its findings (running-kernel ones marked)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sievert.service.deps import SessionDep
from sievert.service.fleet import container_filters, running, running_count
from sievert.service.fleet_schemas import RunningContainer
from sievert.service.models import HostRecord
from sievert.service.ui.pages import ViewerDep, render
from sievert.service.ui.queries import SEVERITIES

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
RISKS = (*SEVERITIES, "none")


class ContainerPage(msgspec.Struct, frozen=True):
    """One page of running containers."""

    rows: list[RunningContainer]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, -(-self.total // PAGE_SIZE))


@router.get("/containers")
def containers_page(
    request: Request,
    who: ViewerDep,
    session: SessionDep,
    rule: Annotated[str, Query(pattern=r"^(|SV-RT-[0-9]{3})$")] = "",
    risk: Annotated[str, Query(pattern="^(|" + "|".join(RISKS) + ")$")] = "",
    name: Annotated[str, Query(max_length=300)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    """The containers running now (the latest audit of each engine), by rule, risk or name."""
    where = container_filters(rule, risk, None, name)
    rows = running(session, where, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    result = ContainerPage(rows, running_count(session, where), page)
    name_ = "containers_table.html" if request.headers.get("hx-request") else "containers.html"
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    return render(
        request,
        name_,
        who,
        result=result,
        risks=RISKS,
        flt={"rule": rule, "risk": risk, "name": name},
        params=params,
        counts=counts,
    )


def counts(summary: dict[str, int] | None) -> list[tuple[str, int]]:
    """(severity, count) in severity order, for the findings bar."""
    return [(s, int((summary or {}).get(s, 0) or 0)) for s in SEVERITIES]


def latest_hosts(session: Session) -> list[HostRecord]:
    """The latest report of every host, by name."""
    latest = select(func.max(HostRecord.id)).group_by(HostRecord.name)
    return list(
        session.scalars(
            select(HostRecord).where(HostRecord.id.in_(latest)).order_by(HostRecord.name)
        ).all()
    )


def kernel_findings(host: HostRecord) -> int:
    """How many of the host's findings are in the running kernel's packages."""
    return sum(
        1 for finding in host.findings if isinstance(finding, dict) and finding.get("kernel")
    )


@router.get("/hosts")
def hosts_page(request: Request, who: ViewerDep, session: SessionDep) -> HTMLResponse:
    """Every scanned host's latest report: kernel, reboot state, findings."""
    hosts = latest_hosts(session)
    return render(
        request, "hosts.html", who, hosts=hosts, counts=counts, kernel_findings=kernel_findings
    )


@router.get("/hosts/{report_id}")
def host_page(
    request: Request, report_id: int, who: ViewerDep, session: SessionDep
) -> HTMLResponse:
    """One host report: its findings, running-kernel and container-escape ones first."""
    host = session.get(HostRecord, report_id)
    if host is None:
        raise HTTPException(404, f"no host report {report_id}")
    findings = sorted(
        (f for f in host.findings if isinstance(f, dict)),
        key=lambda f: (
            not f.get("containerEscape"),
            not f.get("kernel"),
            _rank(f.get("severity")),
        ),
    )
    return render(
        request, "host.html", who, host=host, findings=findings, counts=counts(host.summary)
    )


def _rank(severity: Any) -> int:
    name = str(severity or "unknown").lower()
    return SEVERITIES.index(name) if name in SEVERITIES else len(SEVERITIES)
