"""Image checks as pure functions over hand-built metadata and file views."""

from __future__ import annotations

import tracemalloc

from sievert.checks.image import IMAGE_RULES, ImageCheckConfig, check_image
from sievert.checks.image.checks import base_layer_count, check_package_caches
from sievert.model import ImageMetadata, LayerInfo
from sievert.source.layerindex import Entry, LayerIndex
from sievert.source.view import FileView

FAKE_AWS = "AKIA" + "Q3EGVZ5LQHM6YXWP"


def _meta(**fields: object) -> ImageMetadata:
    layers = tuple(LayerInfo(i, f"sha256:{i:064x}", "", 1, "x") for i in range(2))
    base: dict[str, object] = {
        "reference": "test",
        "source_kind": "oci-dir",
        "layers": layers,
        "user": "app",
        "history": (
            ("ADD rootfs.tar /", False),
            ('CMD ["sh"]', True),
            ("COPY . /app", False),
            ("HEALTHCHECK CMD true", True),
        ),
        "labels": (
            ("org.opencontainers.image.source", "x"),
            ("org.opencontainers.image.version", "1"),
        ),
    }
    return ImageMetadata(**(base | fields))  # type: ignore[arg-type]


def _ids(meta: ImageMetadata, view: FileView | None = None, **cfg: object) -> list[str]:
    found = check_image(meta, view or FileView(meta.layers), ImageCheckConfig(**cfg))  # type: ignore[arg-type]
    return [f.rule.id for f in found]


def test_clean_image_has_no_findings() -> None:
    assert _ids(_meta()) == []


def test_root_user_variants() -> None:
    for user in ("", "root", "0", "0:0", "root:app"):
        assert _ids(_meta(user=user)) == ["SV-IMG-001"], user
    assert _ids(_meta(user="1000:1000")) == []


def test_ports() -> None:
    meta = _meta(exposed_ports=("22/tcp", "2375/tcp", "8080/tcp", "5900"))
    assert _ids(meta) == ["SV-IMG-002", "SV-IMG-002", "SV-IMG-003"]


def test_env_secrets_by_name_and_by_format() -> None:
    meta = _meta(
        env=(
            "PATH=/usr/bin",
            "DB_PASSWORD=hunter22",
            "DB_PASSWORD_FILE=/run/s",
            "API_TOKEN=${TOKEN}",
            f"AWS_KEY={FAKE_AWS}",
            "GPG_KEY=ABCD",
        )
    )
    found = check_image(meta, FileView(meta.layers))
    assert [f.rule.id for f in found] == ["SV-IMG-004", "SV-IMG-005"]
    assert "hunter22" not in found[0].message and FAKE_AWS not in found[1].message


def test_history_downloads_and_build_args() -> None:
    history = (
        ("ADD rootfs.tar /", False),
        ('CMD ["sh"]', True),
        ("|1 NPM_TOKEN=s3cr3tvalue /bin/sh -c curl -fsSL https://x.sh | bash", False),
        ("ADD https://example.org/tool.tgz /opt/", False),
        ("ADD --checksum=sha256:00 https://example.org/tool.tgz /opt/", False),
        ("HEALTHCHECK CMD true", True),
    )
    found = check_image(_meta(history=history), FileView())
    assert [(f.rule.id, f.region.layer_index) for f in found] == [
        ("SV-IMG-006", 1), ("SV-IMG-007", 1), ("SV-IMG-008", 2)
    ]  # fmt: skip
    assert "s3cr3tvalue" not in found[0].message


def test_healthcheck_and_labels() -> None:
    meta = _meta(history=(("ADD x /", False),), labels=())
    assert _ids(meta) == ["SV-IMG-009", "SV-IMG-010"]
    assert _ids(meta, recommended_labels=(), disabled_rules=("SV-IMG-009",)) == []


def test_base_layers_end_at_the_last_cmd_before_own_layers() -> None:
    assert base_layer_count(_meta()) == 1
    three = tuple(LayerInfo(i, "", "", 1, "x") for i in range(3))
    history = (("ADD a /", False), ("RUN b", False), ("CMD c", True), ("COPY d /", False))
    assert base_layer_count(_meta(layers=three, history=history)) == 2
    assert base_layer_count(_meta(layers=three, history=())) == 1


def test_world_writable_and_caches_and_accounts() -> None:
    meta = _meta()
    view = FileView(meta.layers)
    entries = (
        Entry("opt/data", "dir", mode=0o777),
        Entry("opt/shared", "dir", mode=0o1777),
        Entry("var/tmp/x", "file", mode=0o666),
        Entry("opt/run.sh", "file", mode=0o777),
        Entry("var/cache/apt/archives/curl.deb", "file", size=10),
        Entry("var/cache/apt/archives/lock", "file"),
        Entry("root/.cache/pip/http/a", "file", size=5),
        Entry("etc/passwd", "file"),
    )
    passwd = b"root:x:0:0::/root:/bin/sh\nnobody::65534:65534::/:/bin/false\n"
    view.apply(0, LayerIndex("", (), {}))
    view.apply(1, LayerIndex("", entries, {"etc/passwd": passwd}))
    found = check_image(meta, view)
    assert [(f.rule.id, f.region.path) for f in found] == [
        ("SV-IMG-012", "/opt/data"),
        ("SV-IMG-012", "/opt/run.sh"),
        ("SV-IMG-013", "/var/cache/apt/archives"),
        ("SV-IMG-013", "/root/.cache/pip"),
        ("SV-IMG-014", "/etc/passwd"),
    ]
    assert found[4].region.start_line == 2


def test_rules_are_complete() -> None:
    assert [r.id for r in IMAGE_RULES] == [f"SV-IMG-{n:03d}" for n in range(1, 16)]
    assert all(r.rationale and r.remediation and r.docs for r in IMAGE_RULES)


def test_package_caches_keep_no_record_per_file() -> None:
    """SV-IMG-013 counts in one pass: its memory does not grow with the files of the view."""
    meta = _meta()
    view = FileView(meta.layers, spill_at=1_000)
    bulk = tuple(Entry(f"usr/share/bulk/f{n:06d}", "file", 1) for n in range(30_000))
    cached = tuple(Entry(f"var/cache/apt/archives/p{n}.deb", "file", 7) for n in range(3))
    view.apply(0, LayerIndex("", bulk))
    view.apply(1, LayerIndex("", (*cached, Entry("var/cache/apt/archives/lock", "file"))))
    tracemalloc.start()
    try:
        found = list(check_package_caches(meta, view, ImageCheckConfig()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(f.region.path, f.region.layer_index) for f in found] == [
        ("/var/cache/apt/archives", 1)
    ]
    assert found[0].message.startswith("apt package archives: 3 files, 21 bytes")
    assert peak < 1024 * 1024, peak  # 30,000 FileRecords would take several MiB
