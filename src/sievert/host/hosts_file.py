"""The hosts file of `sievert host scan -i hosts.yaml`.

```yaml
concurrency: 8                    # optional: hosts read at once
known_hosts: ~/.ssh/known_hosts   # optional
hosts:
  - ssh://deploy@web1.example.com          # a target alone
  - name: db1
    target: ssh://admin@10.0.0.7:2222
    identity: ~/.ssh/id_ed25519            # optional private key
  - name: builder
    target: local
  - name: golden-image
    root: /srv/rootfs/debian-12            # a root directory
    kernel: 6.1.0-18-amd64                 # optional: the kernel it runs
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from sievert.errors import ParseError, UsageError
from sievert.host.collect import parse_ssh_target
from sievert.host.scan import HostSpec
from sievert.limits import YAML_SIZE, read_capped, yamlload

HOST_KEYS = frozenset({"name", "target", "root", "kernel", "identity"})
TOP_KEYS = frozenset({"hosts", "concurrency", "known_hosts"})


class HostsFile(msgspec.Struct, frozen=True):
    """The hosts and the settings a hosts file gives."""

    hosts: tuple[HostSpec, ...]
    concurrency: int | None = None
    known_hosts: Path | None = None


def target_spec(
    target: str, name: str = "", kernel: str = "", identities: tuple[Path, ...] = ()
) -> HostSpec:
    """A HostSpec of `local` or `ssh://...`; UsageError otherwise."""
    if target == "local":
        return HostSpec(name or "local", "local")
    if target.startswith("ssh://"):
        ssh = parse_ssh_target(target)
        return HostSpec(name or ssh.host, "ssh", ssh=ssh, identities=identities)
    raise UsageError(f"unknown host target {target!r}: expected local or ssh://[user@]host[:port]")


def load_hosts_file(path: Path) -> HostsFile:
    """The hosts file; ParseError naming the file and the entry when malformed."""
    try:
        doc = yamlload.load(read_capped(path, YAML_SIZE), str(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParseError(f"{path}: cannot read the hosts file ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("hosts"), list) or set(doc) - TOP_KEYS:
        raise ParseError(
            f"{path}: expected a mapping with a list `hosts` (and optional concurrency, "
            "known_hosts)"
        )
    concurrency = doc.get("concurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
        raise ParseError(f"{path}: concurrency must be a positive integer")
    known = doc.get("known_hosts")
    specs = [_entry(path, index, item) for index, item in enumerate(doc["hosts"])]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ParseError(f"{path}: host names must be unique")
    return HostsFile(tuple(specs), concurrency, Path(str(known)).expanduser() if known else None)


def _entry(path: Path, index: int, item: Any) -> HostSpec:
    where = f"{path}: hosts[{index}]"
    if isinstance(item, str):
        item = {"target": item}
    if not isinstance(item, dict) or set(item) - HOST_KEYS:
        raise ParseError(
            f"{where}: expected a target or a mapping of {', '.join(sorted(HOST_KEYS))}"
        )
    values = {k: str(v) for k, v in item.items() if v is not None}
    if ("target" in values) == ("root" in values):
        raise ParseError(f"{where}: give either target or root")
    identities = (Path(values["identity"]).expanduser(),) if "identity" in values else ()
    if "root" in values:
        root = Path(values["root"]).expanduser()
        return HostSpec(
            values.get("name", str(root)), "root", root=root, kernel=values.get("kernel", "")
        )
    try:
        return target_spec(values["target"], values.get("name", ""), identities=identities)
    except UsageError as exc:
        raise ParseError(f"{where}: {exc}") from exc
