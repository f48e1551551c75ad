"""The web UI's pages: server-rendered Jinja2, htmx fragments for filters, paging and tabs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from sievert import vulndb
from sievert.errors import SievertError
from sievert.report.cvss_text import explain
from sievert.service import history as snapshots
from sievert.service.deps import Services, ServicesDep, SessionDep
from sievert.service.models import Image
from sievert.service.ui import queries, sorting
from sievert.service.ui.auth import (
    Viewer,
    check_csrf,
    check_password,
    check_token,
    csrf_token,
    sign_in,
    viewer_of,
)
from sievert.service.ui.policies import (
    PolicyInputError,
    add_exception,
    exceptions_of,
    store_policy,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["timestamp"] = lambda t: time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
router = APIRouter(include_in_schema=False)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Every page: scripts and everything else only from this server, never framed, not cached."""
TABS = ("vulnerabilities", "packages", "layers", "checks", "history", "compare")
DIRECTION = "^(|asc|desc)$"
SORT_KEYS = sorting.pattern({**sorting.VULN_COLUMNS, **sorting.PACKAGE_COLUMNS})
"""Sort keys of the image page's tables (findings and packages)."""


class LoginRequiredError(Exception):
    """Raised by page dependencies when nobody is signed in; answered by a redirect."""


def viewer(request: Request) -> Viewer:
    """The signed-in viewer, else a redirect to /login."""
    found = viewer_of(request)
    if found is None:
        raise LoginRequiredError
    return found


def analyst(who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    """A viewer with at least the analyst role (403 otherwise)."""
    if not who.can("analyst"):
        raise HTTPException(403, f"this needs the analyst role (you are {who.role})")
    return who


ViewerDep = Annotated[Viewer, Depends(viewer)]
AnalystDep = Annotated[Viewer, Depends(analyst)]


async def login_required(request: Request, _exc: Exception) -> Response:
    """Send a visitor without a session to the sign-in page."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login?" + urlencode({"next": target}) if target not in ("/", "") else "/login"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render(
    request: Request, name: str, who: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A template with what every page needs."""
    context.update(
        viewer=who,
        csrf_token=csrf_token(request),
        severities=queries.SEVERITIES,
        path=request.url.path,
        htmx=bool(request.headers.get("hx-request")),
    )
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _next(target: str) -> str:
    """A local path to return to after signing in (never another site)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form: an API token, or a username and password."""
    return render(request, "login.html", None, next=_next(next), error="")


@router.post("/login", response_model=None)
def login(
    request: Request,
    services: ServicesDep,
    csrf_token: Annotated[str, Form()] = "",
    token: Annotated[str, Form(max_length=500)] = "",
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sign in; a new session on success, the form again with the reason otherwise."""
    check_csrf(request, csrf_token)
    who = None
    if token:
        who = check_token(services, token)
    elif username and password:
        who = check_password(services, username, password)
    if who is None:
        reason = "That token is not valid." if token else "Wrong username or password."
        if not token and not (username and password):
            reason = "Give an API token, or a username and password."
        return render(request, "login.html", None, 401, next=_next(next), error=reason)
    sign_in(request, who)
    return RedirectResponse(_next(next), status_code=303)


@router.post("/logout")
def logout(
    request: Request, who: ViewerDep, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Sign out."""
    del who
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def db_facts(services: Services) -> dict[str, str]:
    """When the vulnerability DB was built, and how old it is ("" when absent)."""
    try:
        with vulndb.open(services.settings.vuln_db) as db:
            built = db.meta.get("built_at", "")
    except SievertError:
        return {"built": "", "age": "no vulnerability database"}
    return {"built": built, "age": _age(built)}


def _age(stamp: str) -> str:
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    hours = (
        datetime.now(UTC) - (when if when.tzinfo else when.replace(tzinfo=UTC))
    ).total_seconds()
    hours /= 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


@router.get("/")
def overview(
    request: Request, who: ViewerDep, session: SessionDep, services: ServicesDep
) -> HTMLResponse:
    """Counts by verdict and severity, findings over time, the images most at risk."""
    data = queries.overview(session)
    return render(
        request,
        "overview.html",
        who,
        data=data,
        db=db_facts(services),
        series=data.series,
    )


@router.get("/images")
def images(
    request: Request,
    who: ViewerDep,
    session: SessionDep,
    repository: Annotated[str, Query(max_length=500)] = "",
    tag: Annotated[str, Query(max_length=200)] = "",
    verdict: Annotated[str, Query(pattern="^(|stop|warn|go|none)$")] = "",
    severity: Annotated[str, Query(max_length=20)] = "",
    kev: bool = False,
    fix: bool = False,
    sort: Annotated[str, Query(pattern=sorting.pattern(sorting.IMAGE_COLUMNS, "oldest"))] = "",
    dir: Annotated[str, Query(pattern=DIRECTION)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    """The Images table: filters, sorting by column and server-side paging."""
    flt = queries.ImageFilter(repository, tag, verdict, severity, kev, fix, sort, dir, page)
    result = queries.list_images(session, flt)
    name = "images_table.html" if request.headers.get("hx-request") else "images.html"
    return render(
        request,
        name,
        who,
        flt=flt,
        result=result,
        order=flt.order(),
        params=_params(request, "page"),
        unsorted=_params(request, "page", "sort", "dir"),
    )


def _params(request: Request, *leave: str) -> dict[str, str]:
    """The request's query parameters but these (for paging and sorting links)."""
    return {k: v for k, v in request.query_params.items() if k not in leave}


def _image(session: Session, image_id: int) -> Image:
    image = session.get(Image, image_id)
    if image is None:
        raise HTTPException(404, f"no image {image_id}")
    return image


@router.get("/images/{image_id}")
def image_page(
    request: Request,
    image_id: int,
    who: ViewerDep,
    session: SessionDep,
    tab: Annotated[str, Query(pattern="^(|" + "|".join(TABS) + ")$")] = "",
    severity: Annotated[str, Query(max_length=20)] = "",
    kev: bool = False,
    fix: bool = False,
    type: Annotated[str, Query(max_length=50)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    other: int = 0,
    sort: Annotated[str, Query(pattern=SORT_KEYS)] = "",
    dir: Annotated[str, Query(pattern=DIRECTION)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    """An image: facts, verdict and history, layers, packages, vulnerabilities, checks."""
    started = time.perf_counter()
    image = _image(session, image_id)
    tab = tab or "vulnerabilities"
    history = queries.history(session, image, limit=200 if tab == "history" else 1)
    context: dict[str, Any] = {
        "image": image,
        "tab": tab,
        "tabs": TABS,
        "filters": {"severity": severity, "kev": kev, "fix": fix, "type": type, "q": q},
        "repository": queries.repository_of(image.reference),
        "layers": queries.layers(session, image_id, contents=tab == "layers"),
        "latest": history[0] if history else None,
        "certifications": history,
        "params": _params(request, "page"),
        "unsorted": _params(request, "page", "sort", "dir"),
    }
    context["size"] = sum(v.layer.size for v in context["layers"])
    flt = queries.VulnFilter(severity, kev, fix, q, sort, dir)
    context.update(_tab(session, image, tab, flt, type, other, page))
    name = "image_tab.html" if request.headers.get("hx-target") == "tab" else "image.html"
    response = render(request, name, who, **context)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def _tab(
    session: Session,
    image: Image,
    tab: str,
    flt: queries.VulnFilter,
    kind: str,
    other: int,
    page: int,
) -> dict[str, Any]:
    if tab == "vulnerabilities":
        return {
            "vulns": queries.vulnerabilities(session, image.id, flt, page),
            "order": flt.order(),
        }
    if tab == "packages":
        order = sorting.Sort.of(sorting.PACKAGE_COLUMNS, flt.sort, flt.direction, "found")
        return {
            "packages": queries.packages(session, image.id, kind, flt.query, order, page),
            "types": queries.package_types(session, image.id),
            "order": order,
        }
    if tab == "checks":
        return {"checks": queries.checks(session, image.id)}
    if tab == "history":
        return {"snapshots": snapshots.series(snapshots.snapshots(session, image.id))}
    if tab == "compare":
        choices = queries.same_repository(session, image)
        chosen = next((c for c in choices if c.id == other), None)
        comparison = queries.compare(session, image, chosen) if chosen else None
        return {"choices": choices, "comparison": comparison}
    return {}


@router.get("/vulns/{vuln_id}")
def vulnerability(
    request: Request, vuln_id: str, who: ViewerDep, session: SessionDep, services: ServicesDep
) -> HTMLResponse:
    """A vulnerability: text, CVSS explained, KEV, EPSS, exploits, references, images."""
    record = None
    statements: list[Any] = []
    try:
        with vulndb.open(services.settings.vuln_db) as db:
            record = db.get(vuln_id)
            statements = db.statements(vuln_id) if record else []
    except SievertError:
        record = None
    affected = queries.affected_images(session, vuln_id)
    if record is None and not affected:
        raise HTTPException(404, f"{vuln_id} is neither in the database nor in a stored image")
    scores = [(c, explain(c.vector)) for c in record.cvss] if record else []
    return render(
        request,
        "vuln.html",
        who,
        vuln_id=vuln_id,
        record=record,
        scores=scores,
        statements=statements,
        affected=affected,
    )


@router.get("/search")
def search(
    request: Request,
    who: ViewerDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Images by reference, packages by name, vulnerabilities by id."""
    text = q.strip()
    result = queries.search(session, text) if text else None
    return render(request, "search.html", who, q=text, result=result)


@router.get("/policies")
def policies(request: Request, who: ViewerDep, session: SessionDep) -> HTMLResponse:
    """Every policy (newest versions) and the attachments."""
    return _policies_page(request, who, session, "", {})


def _policies_page(
    request: Request,
    who: Viewer,
    session: Session,
    error: str,
    form: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    rows = queries.policies(session)
    return render(
        request,
        "policies.html",
        who,
        status,
        policies=rows,
        exceptions=exceptions_of(rows),
        attachments=queries.attachments(session),
        error=error,
        form=form,
    )


@router.get("/policies/{name}")
def policy(
    request: Request, name: str, who: ViewerDep, session: SessionDep, version: int = 0
) -> HTMLResponse:
    """One policy: its text (any version), its exceptions, the form to add one."""
    return _policy_page(request, who, session, name, version)


def _policy_page(
    request: Request,
    who: Viewer,
    session: Session,
    name: str,
    version: int = 0,
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    versions = queries.policy_versions(session, name)
    if not versions:
        raise HTTPException(404, f"no policy named {name!r}")
    shown = next((v for v in versions if v.version == version), versions[0])
    return render(
        request,
        "policy.html",
        who,
        status,
        versions=versions,
        shown=shown,
        exceptions=exceptions_of([shown]),
        attached=[a for a in queries.attachments(session) if a.policy_name == name],
        error=error,
        form=form or {},
    )


@router.post("/policies", response_model=None)
def upload_policy(
    request: Request,
    who: AnalystDep,
    session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=300_000)] = "",
) -> Response:
    """Store a policy (the next version of its name), after checking it parses."""
    check_csrf(request, csrf_token)
    try:
        row = store_policy(session, name.strip(), text)
    except PolicyInputError as exc:
        session.rollback()
        return _policies_page(request, who, session, str(exc), {"name": name, "text": text}, 422)
    return RedirectResponse(f"/policies/{row.name}", status_code=303)


@router.post("/policies/{name}/exceptions", response_model=None)
def new_exception(
    request: Request,
    name: str,
    who: AnalystDep,
    session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
    vulnerability: Annotated[str, Form(max_length=200)] = "",
    package: Annotated[str, Form(max_length=500)] = "",
    image: Annotated[str, Form(max_length=500)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    ticket: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    expires: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add an exception (owner, ticket, reason, expiry) as a new version of the policy."""
    check_csrf(request, csrf_token)
    form = {
        "vulnerability": vulnerability,
        "package": package,
        "image": image,
        "owner": owner,
        "ticket": ticket,
        "reason": reason,
        "expires": expires,
    }
    try:
        add_exception(session, name, form)
    except PolicyInputError as exc:
        session.rollback()
        return _policy_page(request, who, session, name, 0, str(exc), form, 422)
    return RedirectResponse(f"/policies/{name}#exceptions", status_code=303)
