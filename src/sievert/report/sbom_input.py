"""Read an SBOM back into an Inventory (`sievert scan --sbom FILE`).

CycloneDX JSON (1.4-1.6) and SPDX 2.2/2.3 JSON are understood. Packages are rebuilt from their
purls (type, namespace, qualifiers); the component's own name and version win when present, and
Sievert's or syft's properties add the cataloger, layers, locations and source package.
The distro is the `operating-system` component (SPDX: purpose OPERATING-SYSTEM), else the most
common purl `distro` qualifier. Components without a usable purl are skipped with a notice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec
from packageurl import PackageURL

from sievert.errors import ParseError
from sievert.jsonvalue import as_dict, as_list, as_str, json_type
from sievert.limits import jsonload
from sievert.model import Distro, ImageMetadata, Inventory, LayerInfo, Location, Notice, Package

SOURCE_KIND = "sbom"
DEFAULT_CATALOGER = "sbom"
OS_TYPES = ("deb", "apk", "rpm")
TYPE_ALIASES = {"generic": "binary"}
"""purl types whose Sievert package type differs."""
NAMESPACED_NAMES = ("golang", "npm", "composer", "swift", "github", "bitbucket")
"""purl types whose package name includes the namespace (`golang.org/x/net`, `@scope/pkg`)."""
_SKIP_TYPES = ("operating-system", "container")
_LOCATION_PROP = re.compile(r"^(sievert|syft):location:(\d+):(\w+)$")
_LAYER_PROP = re.compile(r"^sievert:layer:(\d+):(\w+)$")
_NO_LICENCE = ("", "NOASSERTION", "NONE")
_PRETTY_CODENAME = re.compile(r"\(([a-z]+)\)\s*$")

Props = list[tuple[str, str]]


def parse_sbom(data: bytes, name: str) -> Inventory:
    """The inventory an SBOM describes; ParseError naming `name` when it is not a JSON SBOM."""
    document = _load(data, name)
    if document.get("bomFormat") == "CycloneDX":
        return cyclonedx_inventory(document, name)
    if isinstance(document.get("spdxVersion"), str):
        return spdx_inventory(document, name)
    raise ParseError(f"{name}: neither a CycloneDX nor an SPDX JSON document")


def _load(data: bytes, name: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{name}: not UTF-8 text ({exc.reason})") from exc
    if text.lstrip().startswith("<"):
        raise ParseError(f"{name}: XML SBOMs are not supported; give a JSON SBOM")
    try:
        document = jsonload.loads(text, name)
    except ValueError as exc:
        raise ParseError(f"{name}: not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ParseError(f"{name}: neither a CycloneDX nor an SPDX JSON document")
    return document


def array(document: Mapping[str, Any], key: str, name: str) -> list[Any]:
    """document[key] as a list ([] when absent); ParseError when it is any other type."""
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{name}: `{key}` must be an array, not {json_type(value)}")
    return value


def objects(values: list[Any], builder: SbomBuilder) -> Iterator[dict[str, Any]]:
    """The JSON objects among values; anything else is counted as a malformed entry."""
    for value in values:
        if isinstance(value, dict):
            yield value
        else:
            builder.malformed += 1


def _first(props: Props, *keys: str) -> str:
    """The first value of the first key present."""
    for key in keys:
        for name, value in props:
            if name == key and value:
                return value
    return ""


class SbomBuilder(msgspec.Struct):
    """What a parse gathers: layers (to resolve indexes and diff ids) and notices."""

    name: str
    layers: tuple[LayerInfo, ...] = ()
    notices: list[Notice] = msgspec.field(default_factory=list)
    skipped: int = 0
    malformed: int = 0
    """Entries of `components`/`packages` that are not JSON objects (skipped)."""

    def layer_index(self, diff_id: str) -> int:
        """Index of the layer with this diff id (or digest), -1 when unknown."""
        for layer in self.layers:
            if diff_id and diff_id in (layer.diff_id, layer.digest):
                return layer.index
        return -1

    def finish(
        self, image: ImageMetadata, distro: Distro | None, packages: list[Package]
    ) -> Inventory:
        """The inventory, with the distro guessed from purls when none was declared."""
        if self.skipped:
            message = f"{self.skipped} SBOM entries without a usable purl were skipped"
            self.notices.append(Notice(message, self.name))
        if self.malformed:
            message = f"{self.malformed} SBOM entries that are not JSON objects were skipped"
            self.notices.append(Notice(message, self.name))
        distro = distro or distro_from_purls(packages)
        return Inventory(image, distro, tuple(packages), tuple(self.notices))


# --- CycloneDX ---------------------------------------------------------------------------


def cyclonedx_inventory(document: Mapping[str, Any], name: str) -> Inventory:
    """The inventory of a CycloneDX JSON BOM."""
    builder = SbomBuilder(name)
    spec = as_str(document.get("specVersion"))
    if spec not in ("1.4", "1.5", "1.6"):
        builder.notices.append(Notice(f"CycloneDX spec version {spec!r} read as 1.6", name))
    image = cyclonedx_image(as_dict(as_dict(document.get("metadata")).get("component")), name)
    builder.layers = image.layers
    distro: Distro | None = None
    packages: list[Package] = []
    components = array(document, "components", name)
    for component in walk_components(components, builder):
        kind = as_str(component.get("type"))
        if kind == "operating-system":
            distro = distro or os_distro(component)
        elif kind not in _SKIP_TYPES:
            package = component_package(component, builder)
            if package is not None:
                packages.append(package)
    return builder.finish(image, distro, packages)


def walk_components(
    components: list[Any], builder: SbomBuilder | None = None
) -> Iterator[dict[str, Any]]:
    """Every component, nested ones after their parent (depth-first, without recursion).

    Entries that are not objects, and nested `components` that are not arrays, are counted in
    the builder's `malformed` and skipped.
    """
    stack = list(reversed(components))
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            if builder is not None:
                builder.malformed += 1
            continue
        yield component
        nested = component.get("components")
        if nested is not None and not isinstance(nested, list) and builder is not None:
            builder.malformed += 1
        stack.extend(reversed(as_list(nested)))


def properties(component: Mapping[str, Any]) -> Props:
    """The component's (name, value) properties."""
    pairs = (as_dict(p) for p in as_list(component.get("properties")))
    return [(as_str(p.get("name")), as_str(p.get("value"))) for p in pairs]


def cyclonedx_image(component: Mapping[str, Any], name: str) -> ImageMetadata:
    """The image from `metadata.component`; Sievert's properties restore its layers."""
    props = properties(component)
    version = as_str(component.get("version"))
    return ImageMetadata(
        reference=as_str(component.get("name")) or name,
        source_kind=SOURCE_KIND,
        manifest_digest=version if version.startswith("sha256:") else "",
        config_digest=_first(props, "sievert:image:configDigest"),
        repo_tags=tuple(v for k, v in props if k == "sievert:image:repoTag"),
        repo_digests=tuple(v for k, v in props if k == "sievert:image:repoDigest"),
        layers=sievert_layers(props),
        created=_first(props, "sievert:image:created"),
    )


def sievert_layers(props: Props) -> tuple[LayerInfo, ...]:
    """Layers from `sievert:layer:N:*` properties, by index."""
    fields: dict[int, dict[str, str]] = {}
    for key, value in props:
        match = _LAYER_PROP.match(key)
        if match:
            fields.setdefault(int(match.group(1)), {})[match.group(2)] = value
    layers = []
    for index, values in sorted(fields.items()):
        size = values.get("size", "0")
        layers.append(
            LayerInfo(
                index=index,
                digest=values.get("digest", ""),
                diff_id=values.get("diffID", ""),
                size=int(size) if size.isdecimal() else 0,
                media_type="",
                created_by=values.get("createdBy", ""),
            )
        )
    return tuple(layers)


def codename_of(pretty_name: str) -> str:
    """The codename a pretty name ends with: 'Debian GNU/Linux 12 (bookworm)' -> 'bookworm'."""
    match = _PRETTY_CODENAME.search(pretty_name)
    return match.group(1) if match else ""


def os_distro(component: Mapping[str, Any]) -> Distro:
    """The distro of an `operating-system` component (Sievert's or syft's properties)."""
    props = properties(component)
    like = [
        v for k, v in props if k == "sievert:distro:idLike" or k.startswith("syft:distro:idLike")
    ]
    name = as_str(component.get("name"))
    pretty = as_str(component.get("description")) or _first(props, "syft:distro:prettyName")
    codename = _first(props, "sievert:distro:codename", "syft:distro:versionCodename")
    return Distro(
        id=(_first(props, "sievert:distro:id", "syft:distro:id") or name).lower(),
        version_id=_first(props, "sievert:distro:versionID", "syft:distro:versionID")
        or as_str(component.get("version")),
        codename=codename or codename_of(pretty),
        name=_first(props, "sievert:distro:name", "syft:distro:name"),
        pretty_name=pretty,
        id_like=tuple(" ".join(like).split()),
    )


def component_package(component: Mapping[str, Any], builder: SbomBuilder) -> Package | None:
    """A Package from a component's purl, name, version, licences and properties."""
    purl = as_str(component.get("purl"))
    if not purl:
        builder.skipped += 1
        return None
    props = properties(component)
    licences = tuple(licence_texts(as_list(component.get("licenses"))))
    return package_from_purl(
        purl,
        builder,
        name=as_str(component.get("name")),
        version=as_str(component.get("version")),
        props=props,
        licenses=licences,
    )


def licence_texts(entries: list[Any]) -> Iterator[str]:
    """Licence ids, names and expressions of a CycloneDX `licenses` array."""
    for entry in map(as_dict, entries):
        licence = as_dict(entry.get("license"))
        text = (
            as_str(entry.get("expression"))
            or as_str(licence.get("id"))
            or as_str(licence.get("name"))
        )
        if text:
            yield text


# --- SPDX --------------------------------------------------------------------------------


def spdx_inventory(document: Mapping[str, Any], name: str) -> Inventory:
    """The inventory of an SPDX 2.x JSON document."""
    builder = SbomBuilder(name)
    version = as_str(document.get("spdxVersion"))
    if version not in ("SPDX-2.2", "SPDX-2.3"):
        builder.notices.append(Notice(f"SPDX version {version!r} read as SPDX-2.3", name))
    extracted = {
        as_str(e.get("licenseId")): as_str(e.get("extractedText")) or as_str(e.get("name"))
        for e in map(as_dict, as_list(document.get("hasExtractedLicensingInfos")))
    }
    reference, digest = as_str(document.get("name")) or name, ""
    distro: Distro | None = None
    packages: list[Package] = []
    for element in objects(array(document, "packages", name), builder):
        purpose = as_str(element.get("primaryPackagePurpose"))
        version_info = as_str(element.get("versionInfo"))
        if purpose == "CONTAINER":
            reference = as_str(element.get("name")) or reference
            digest = version_info if version_info.startswith("sha256:") else digest
        elif purpose == "OPERATING-SYSTEM":
            distro = distro or spdx_distro(element)
        else:
            package = spdx_package(element, builder, extracted)
            if package is not None:
                packages.append(package)
    image = ImageMetadata(reference=reference, source_kind=SOURCE_KIND, manifest_digest=digest)
    return builder.finish(image, distro, packages)


def spdx_distro(element: Mapping[str, Any]) -> Distro:
    """The distro of an OPERATING-SYSTEM package."""
    pretty = as_str(element.get("description"))
    return Distro(
        id=as_str(element.get("name")).lower(),
        version_id=as_str(element.get("versionInfo")),
        codename=codename_of(pretty),
        pretty_name=pretty,
    )


def spdx_purl(element: Mapping[str, Any]) -> str:
    """The first PACKAGE-MANAGER purl external reference of a package ('' when none)."""
    for ref in map(as_dict, as_list(element.get("externalRefs"))):
        category = as_str(ref.get("referenceCategory")).replace("_", "-")
        if category == "PACKAGE-MANAGER" and as_str(ref.get("referenceType")) == "purl":
            return as_str(ref.get("referenceLocator"))
    return ""


def spdx_package(
    element: Mapping[str, Any], builder: SbomBuilder, extracted: Mapping[str, str]
) -> Package | None:
    """A Package from an SPDX package element with a purl."""
    purl = spdx_purl(element)
    if not purl:
        builder.skipped += 1
        return None
    declared = as_str(element.get("licenseDeclared"))
    licences = () if declared in _NO_LICENCE else (extracted.get(declared) or declared,)
    return package_from_purl(
        purl,
        builder,
        name=as_str(element.get("name")),
        version=as_str(element.get("versionInfo")),
        props=[],
        licenses=licences,
    )


# --- purls -------------------------------------------------------------------------------


def package_from_purl(
    purl: str,
    builder: SbomBuilder,
    *,
    name: str = "",
    version: str = "",
    props: Props | None = None,
    licenses: tuple[str, ...] = (),
) -> Package | None:
    """A Package rebuilt from a purl (None with a notice when the purl is malformed)."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        builder.notices.append(Notice(f"skipped malformed purl {purl!r}: {exc}", builder.name))
        return None
    props = props or []
    qualifiers: dict[str, str] = dict(parsed.qualifiers or {})
    kind = _first(props, "sievert:package:type") or TYPE_ALIASES.get(parsed.type, parsed.type)
    version = version or parsed.version or ""
    name = name or purl_name(parsed)
    source_name, source_version = source_package(parsed.type, name, version, qualifiers, props)
    metadata = [
        (k.removeprefix("sievert:metadata:"), v)
        for k, v in props
        if k.startswith("sievert:metadata:")
    ]
    if (
        parsed.type == "maven"
        and parsed.namespace
        and not any(k == "group_id" for k, _ in metadata)
    ):
        metadata.append(("group_id", parsed.namespace))
    locations = _locations(props, builder)
    return Package(
        name=name,
        version=version,
        type=kind,
        purl=purl,
        cataloger=_first(props, "sievert:package:foundBy", "syft:package:foundBy")
        or DEFAULT_CATALOGER,
        locations=locations,
        arch=qualifiers.get("arch") or _first(props, "sievert:package:arch"),
        source_name=source_name,
        source_version=source_version,
        epoch=_epoch(parsed.type, version, qualifiers, props),
        release=_first(props, "sievert:package:release") or _rpm_release(parsed.type, version),
        licenses=licenses,
        introduced_by=_introduced(props, locations),
        owner=_first(props, "sievert:package:owner"),
        metadata=tuple(metadata),
    )


def purl_name(purl: PackageURL) -> str:
    """The package name a purl stands for: with its namespace for Go, npm, composer..."""
    if purl.namespace and purl.type in NAMESPACED_NAMES:
        return f"{purl.namespace}/{purl.name}"
    return str(purl.name)


def source_package(
    kind: str, name: str, version: str, qualifiers: Mapping[str, str], props: Props
) -> tuple[str, str]:
    """(source name, source version): properties first, then the `upstream` qualifier; OS
    packages default to their own name and version."""
    declared = _first(props, "sievert:package:sourceName")
    if declared:
        return declared, _first(props, "sievert:package:sourceVersion")
    syft = _first(props, "syft:metadata:source", "syft:metadata:originPackage")
    if syft:
        return syft, _first(props, "syft:metadata:sourceVersion") or version
    upstream = qualifiers.get("upstream", "") or _first(props, "syft:metadata:sourceRpm")
    if kind == "rpm" and upstream:
        return split_source_rpm(upstream)
    if upstream:
        source, _, source_version = upstream.partition("@")
        return source, source_version or version
    return (name, version) if kind in OS_TYPES else ("", "")


def split_source_rpm(source_rpm: str) -> tuple[str, str]:
    """'openssl-3.0.7-18.el9.src.rpm' -> ('openssl', '3.0.7-18.el9'); ('', '') when malformed."""
    stem = source_rpm.removesuffix(".src.rpm").removesuffix(".nosrc.rpm")
    parts = stem.rsplit("-", 2)
    if stem == source_rpm or len(parts) != 3 or not all(parts):
        return "", ""
    return parts[0], f"{parts[1]}-{parts[2]}"


def _epoch(kind: str, version: str, qualifiers: Mapping[str, str], props: Props) -> int | None:
    text = _first(props, "sievert:package:epoch") or qualifiers.get("epoch", "")
    if not text and kind == "deb" and ":" in version:
        text = version.partition(":")[0]
    return int(text) if text.isdecimal() else None


def _rpm_release(kind: str, version: str) -> str:
    return version.rpartition("-")[2] if kind == "rpm" and "-" in version else ""


def _locations(props: Props, builder: SbomBuilder) -> tuple[Location, ...]:
    """Locations from `sievert:location:N:*` or `syft:location:N:*` properties, by N."""
    fields: dict[tuple[str, int], dict[str, str]] = {}
    for key, value in props:
        match = _LOCATION_PROP.match(key)
        if match:
            fields.setdefault((match.group(1), int(match.group(2))), {})[match.group(3)] = value
    locations = []
    for _, values in sorted(fields.items()):
        diff_id = values.get("layerDiffID") or values.get("layerID", "")
        index_text = values.get("layerIndex", "")
        index = int(index_text) if index_text.isdecimal() else builder.layer_index(diff_id)
        layer = next((x for x in builder.layers if x.index == index), None)
        digest = layer.digest if layer is not None else ""
        locations.append(Location(values.get("path", ""), index, digest, diff_id))
    return tuple(loc for loc in locations if loc.path)


def _introduced(props: Props, locations: tuple[Location, ...]) -> int:
    text = _first(props, "sievert:layer:index")
    if text.isdecimal():
        return int(text)
    return locations[0].layer_index if locations else -1


def distro_from_purls(packages: list[Package]) -> Distro | None:
    """The most common `distro=<id>-<version>` qualifier of the OS packages, as a Distro."""
    seen: Counter[str] = Counter()
    for package in packages:
        if package.type in OS_TYPES:
            qualifiers = PackageURL.from_string(package.purl).qualifiers or {}
            if qualifiers.get("distro"):
                seen[str(qualifiers["distro"])] += 1
    if not seen:
        return None
    value = seen.most_common(1)[0][0]
    distro_id, dash, version = value.rpartition("-")
    if not dash or not version[:1].isdecimal():
        return Distro(id=value.lower())
    return Distro(id=distro_id.lower(), version_id=version)
