"""Rebuild a ScanResult from Sievert's JSON scan document (`sievert scan -f json`).

The document holds every field the policy engine reads; the few it does not hold (a check
rule's rationale, a package's cataloger inside a finding) come from the inventory section when
the same package is listed there, else stay empty.
"""

from __future__ import annotations

from typing import Any

from sievert.errors import ParseError
from sievert.model import (
    Affected,
    CvssScore,
    Distro,
    Exploit,
    ImageMetadata,
    Inventory,
    LayerInfo,
    Location,
    Notice,
    Package,
    Platform,
    Vulnerability,
)
from sievert.model.checks import CheckFinding, Region, Rule, SecretFinding
from sievert.model.finding import Finding, MatchEvidence, ScanResult
from sievert.model.severity import Severity


def _severity(text: str, default: Severity = Severity.UNKNOWN) -> Severity:
    """A severity word of the document ('' for the default); ValueError for any other word."""
    return Severity.parse(text) if text else default


def load_scan_result(data: Any) -> ScanResult:
    """The ScanResult a scan JSON document describes; ParseError when it is not one."""
    if not isinstance(data, dict) or "findings" not in data or "image" not in data:
        raise ParseError("not a Sievert scan JSON document (no `image` and `findings`)")
    try:
        return _result(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParseError(f"malformed Sievert scan JSON document: {exc!r}") from None


def _result(data: dict[str, Any]) -> ScanResult:
    image = _image(data["image"])
    packages = tuple(_package(p) for p in data.get("packages", ()))
    inventory = Inventory(
        image=image,
        distro=_distro(data.get("distro")),
        packages=packages,
        notices=tuple(_notice(n) for n in data.get("notices", ())),
        file_count=int(data.get("fileCount", 0)),
    )
    by_purl = {(p.purl, p.name, p.version, _first(p)): p for p in packages}
    database = data.get("database") or {}
    return ScanResult(
        inventory=inventory,
        findings=tuple(_finding(f, by_purl) for f in data["findings"]),
        db_built=str(database.get("built", "")),
        db_sources=tuple((s["name"], s["status"]) for s in database.get("sources", ())),
        notices=tuple(_notice(n) for n in data.get("matchNotices", ())),
        config_findings=tuple(_check(c) for c in data.get("configFindings", ())),
        secret_findings=tuple(_secret(s) for s in data.get("secretFindings", ())),
        scanners=tuple(data.get("scanners", ("vuln",))),
    )


def _first(package: Package) -> str:
    return package.locations[0].path if package.locations else ""


def _image(doc: dict[str, Any]) -> ImageMetadata:
    config = doc.get("config") or {}
    platform = doc.get("platform") or {}
    return ImageMetadata(
        reference=doc["reference"],
        source_kind=doc.get("sourceKind", ""),
        manifest_digest=doc.get("manifestDigest", ""),
        config_digest=doc.get("configDigest", ""),
        repo_tags=tuple(doc.get("repoTags", ())),
        repo_digests=tuple(doc.get("repoDigests", ())),
        platform=Platform(
            platform.get("os", "linux"),
            platform.get("architecture", "amd64"),
            platform.get("variant", ""),
        ),
        layers=tuple(_layer(layer) for layer in doc.get("layers", ())),
        created=doc.get("created", ""),
        user=config.get("user", ""),
        env=tuple(config.get("env", ())),
        entrypoint=tuple(config.get("entrypoint", ())),
        cmd=tuple(config.get("cmd", ())),
        working_dir=config.get("workingDir", ""),
        exposed_ports=tuple(config.get("exposedPorts", ())),
        labels=tuple((config.get("labels") or {}).items()),
        annotations=tuple((doc.get("annotations") or {}).items()),
        history=tuple((h["createdBy"], bool(h["emptyLayer"])) for h in config.get("history", ())),
    )


def _layer(doc: dict[str, Any]) -> LayerInfo:
    return LayerInfo(
        index=int(doc["index"]),
        digest=doc["digest"],
        diff_id=doc.get("diffId", ""),
        size=int(doc.get("size", 0)),
        media_type=doc.get("mediaType", ""),
        created_by=doc.get("createdBy", ""),
        created=doc.get("created", ""),
        comment=doc.get("comment", ""),
    )


def _distro(doc: dict[str, Any] | None) -> Distro | None:
    if doc is None:
        return None
    return Distro(
        id=doc["id"],
        version_id=doc.get("versionId", ""),
        codename=doc.get("codename", ""),
        name=doc.get("name", ""),
        pretty_name=doc.get("prettyName", ""),
        id_like=tuple(doc.get("idLike", ())),
    )


def _notice(doc: dict[str, Any]) -> Notice:
    return Notice(doc["message"], doc.get("where", ""), doc.get("level", "warning"))


def _locations(items: Any) -> tuple[Location, ...]:
    return tuple(
        Location(
            loc["path"],
            int(loc.get("layerIndex", -1)),
            loc.get("layerDigest", ""),
            loc.get("layerDiffId", ""),
        )
        for loc in items
    )


def _package(doc: dict[str, Any]) -> Package:
    layer = doc.get("layer")
    return Package(
        name=doc["name"],
        version=doc.get("version", ""),
        type=doc.get("type", ""),
        purl=doc.get("purl", ""),
        cataloger=doc.get("cataloger", ""),
        locations=_locations(doc.get("locations", ())),
        arch=doc.get("arch", ""),
        source_name=doc.get("sourceName", ""),
        source_version=doc.get("sourceVersion", ""),
        epoch=doc.get("epoch"),
        release=doc.get("release", ""),
        licenses=tuple(doc.get("licenses", ())),
        files=tuple(doc.get("files", ())),
        introduced_by=int(layer["index"]) if layer else -1,
        owner=doc.get("owner", ""),
        metadata=tuple((m["key"], m["value"]) for m in doc.get("metadata", ())),
    )


def _finding_package(
    doc: dict[str, Any], known: dict[tuple[str, str, str, str], Package]
) -> Package:
    locations = _locations(doc.get("locations", ()))
    first = locations[0].path if locations else ""
    listed = known.get((doc.get("purl", ""), doc["name"], doc.get("version", ""), first))
    if listed is not None:
        return listed
    introduced = doc.get("introducedBy")
    return Package(
        name=doc["name"],
        version=doc.get("version", ""),
        type=doc.get("type", ""),
        purl=doc.get("purl", ""),
        cataloger="",
        locations=locations,
        arch=doc.get("arch", ""),
        source_name=doc.get("sourceName", ""),
        source_version=doc.get("sourceVersion", ""),
        introduced_by=int(introduced["index"]) if introduced else -1,
    )


def _vulnerability(doc: dict[str, Any]) -> Vulnerability:
    kev = doc.get("kev") or {}
    epss = doc.get("epss") or {}
    return Vulnerability(
        id=doc["id"],
        aliases=tuple(doc.get("aliases", ())),
        summary=doc.get("summary", ""),
        description=doc.get("description", ""),
        published=doc.get("published", ""),
        modified=doc.get("modified", ""),
        cvss=tuple(
            CvssScore(s["version"], s["vector"], float(s["baseScore"]), s["severity"], s["source"])
            for s in doc.get("cvss", ())
        ),
        cwes=tuple(doc.get("cwes", ())),
        references=tuple(doc.get("references", ())),
        kev_date_added=kev.get("dateAdded", ""),
        kev_ransomware=bool(kev.get("knownRansomwareUse", False)),
        kev_due_date=kev.get("dueDate", ""),
        epss_score=epss.get("score"),
        epss_percentile=epss.get("percentile"),
        exploits=tuple(
            Exploit(
                e["source"], e["id"], e.get("url", ""), e.get("title", ""), e.get("published", "")
            )
            for e in doc.get("exploits", ())
        ),
        rejected=bool(doc.get("rejected", False)),
    )


def _finding(doc: dict[str, Any], known: dict[tuple[str, str, str, str], Package]) -> Finding:
    evidence = doc["evidence"]
    affected = doc["affected"]
    return Finding(
        vulnerability=_vulnerability(doc["vulnerability"]),
        package=_finding_package(doc["package"], known),
        affected=Affected(
            vuln_id=affected["vulnId"],
            namespace=affected["namespace"],
            package=affected["package"],
            source=affected["source"],
            fix_state=affected.get("fixState", ""),
            fixed_version=affected.get("fixedVersion", ""),
            severity=affected.get("severity", ""),
            record_id=affected.get("recordId", ""),
            note=affected.get("note", ""),
        ),
        evidence=MatchEvidence(
            source=evidence["source"],
            record_id=evidence["recordId"],
            namespace=evidence["namespace"],
            matched_by=evidence["matchedBy"],
            matched_name=evidence["matchedName"],
            constraint=evidence["constraint"],
            confidence=evidence.get("confidence", "high"),
        ),
        severity=Severity.parse(doc["severity"]),
        severity_source=doc.get("severitySource", ""),
        fix_state=doc["fixState"],
        fixed_versions=tuple(doc.get("fixedVersions", ())),
        risk=float(doc.get("risk", 0.0)),
    )


def _rule(doc: dict[str, Any]) -> Rule:
    severity = _severity(doc.get("severity", ""))
    return Rule(doc["ruleId"], severity, doc.get("title", ""), docs=doc.get("docs", ""))


def _check(doc: dict[str, Any]) -> CheckFinding:
    return CheckFinding(
        rule=_rule(doc),
        message=doc.get("message", ""),
        region=Region(
            doc.get("path", ""),
            int(doc.get("startLine", 0)),
            int(doc.get("endLine", 0)),
            int(doc.get("layerIndex", -1)),
        ),
        severity=_severity(doc.get("severity", "")),
        instruction=doc.get("instruction", ""),
        suppressed_by=doc.get("suppressedBy", ""),
    )


def _secret(doc: dict[str, Any]) -> SecretFinding:
    return SecretFinding(
        rule=_rule(doc),
        region=Region(
            doc.get("path", ""),
            int(doc.get("startLine", 0)),
            int(doc.get("endLine", 0)),
            int(doc.get("layerIndex", -1)),
        ),
        layer_digest=doc.get("layerDigest", ""),
        redacted=doc.get("match", ""),
        deleted_later=bool(doc.get("deletedLater", False)),
        severity=_severity(doc.get("severity", "")),
    )
