"""IMAGE_RULES: checks of an image's configuration, history and files, ids SV-IMG-001 onwards."""

from __future__ import annotations

from sievert.model.checks import Rule
from sievert.model.severity import Severity


def _rule(number: int, severity: str, title: str, rationale: str, remediation: str) -> Rule:
    rule_id = f"SV-IMG-{number:03d}"
    return Rule(
        rule_id, Severity(severity), title, rationale, remediation, f"docs/rules/{rule_id}.md"
    )


ROOT_USER = _rule(
    1,
    "medium",
    "Image runs as root",
    "A process running as root in the container is root on the host once it escapes, and can "
    "change every file of the container.",
    "Create an unprivileged user and end the Dockerfile with `USER <name or uid>`.",
)
ADMIN_PORT = _rule(
    2,
    "medium",
    "Remote administration port exposed",
    "SSH, telnet, FTP, RDP and VNC servers inside an application container widen the attack "
    "surface and are rarely needed (use `docker exec` / `kubectl exec`).",
    "Remove the server and its `EXPOSE` line.",
)
DAEMON_PORT = _rule(
    3,
    "high",
    "Container daemon or cluster control port exposed",
    "Ports such as 2375 (Docker API without TLS), 2379 (etcd) or 10250 (kubelet) give control "
    "of the host or the cluster to whoever reaches them.",
    "Do not expose control-plane ports from an image; remove the `EXPOSE` line.",
)
SECRET_ENV_NAME = _rule(
    4,
    "high",
    "Secret-like environment variable set in the image",
    "`ENV` values are stored in the image config, readable by anyone who can pull the image.",
    "Pass secrets at run time (orchestrator secrets, `--env-file`, a secret store); use "
    "`<NAME>_FILE` pointing at a mounted secret.",
)
SECRET_ENV_VALUE = _rule(
    5,
    "critical",
    "Credential in an environment variable",
    "An `ENV` value has the format of a known credential (e.g. a cloud access key); the image "
    "config is readable by anyone who can pull the image.",
    "Revoke the credential and pass it at run time instead of with `ENV`.",
)
SECRET_HISTORY = _rule(
    6,
    "high",
    "Credential in the image history",
    "Build arguments and `RUN` lines are recorded in the image history (`docker history`), "
    "including `--build-arg` values used by the command.",
    "Use build secrets (`RUN --mount=type=secret`) instead of build arguments; revoke the value.",
)
PIPE_TO_SHELL = _rule(
    7,
    "medium",
    "Download piped into a shell",
    "`curl ... | sh` runs whatever the server returns at build time, without a checksum or "
    "signature check.",
    "Download to a file, verify its checksum or signature, then run it.",
)
ADD_REMOTE = _rule(
    8,
    "low",
    "ADD from a remote URL",
    "`ADD https://...` fetches at build time without integrity verification (unless --checksum).",
    "Use `ADD --checksum=sha256:...` or download with curl and verify the checksum.",
)
NO_HEALTHCHECK = _rule(
    9,
    "low",
    "No HEALTHCHECK instruction",
    "Without a health check the engine cannot tell a hung container from a healthy one.",
    "Add `HEALTHCHECK CMD ...` (or rely on the orchestrator's probes and ignore this rule).",
)
MISSING_LABELS = _rule(
    10,
    "low",
    "Recommended labels missing",
    "OCI labels such as `org.opencontainers.image.source` and `.version` tie an image to its "
    "source and release, which incident response and SBOM consumers need.",
    "Add the labels with `LABEL` or `docker build --label`.",
)
SETUID = _rule(
    11,
    "high",
    "setuid or setgid file added by the image",
    "A setuid/setgid executable added on top of the base image is a privilege-escalation path "
    "that the base image's maintainers did not review.",
    "Remove the file or its special bits (`chmod u-s,g-s`) in the layer that adds it.",
)
WORLD_WRITABLE = _rule(
    12,
    "medium",
    "World-writable path outside temporary directories",
    "Any user in the container can replace or plant files in a world-writable path; a "
    "directory without the sticky bit also lets them delete other users' files.",
    "Tighten the mode (`chmod o-w`), or set the sticky bit on shared directories.",
)
PACKAGE_CACHE = _rule(
    13,
    "low",
    "Package manager cache left in the image",
    "Downloaded packages and index files add size and stale metadata to every pull.",
    "Clean in the same RUN: `apt-get clean && rm -rf /var/lib/apt/lists/*`, `apk add "
    "--no-cache`, `pip install --no-cache-dir`.",
)
EMPTY_PASSWORD = _rule(
    14,
    "high",
    "Account with an empty password",
    "An account whose password field is empty lets anyone log in or `su` to it without a password.",
    "Lock the account (`passwd -l`, `*` or `!` in /etc/shadow) or set a password hash.",
)
EXTRA_ROOT = _rule(
    15,
    "high",
    "Several accounts with UID 0",
    "Every account with UID 0 is root; an extra one is a classic backdoor.",
    "Give the account its own UID or remove it.",
)

IMAGE_RULES: tuple[Rule, ...] = (
    ROOT_USER,
    ADMIN_PORT,
    DAEMON_PORT,
    SECRET_ENV_NAME,
    SECRET_ENV_VALUE,
    SECRET_HISTORY,
    PIPE_TO_SHELL,
    ADD_REMOTE,
    NO_HEALTHCHECK,
    MISSING_LABELS,
    SETUID,
    WORLD_WRITABLE,
    PACKAGE_CACHE,
    EMPTY_PASSWORD,
    EXTRA_ROOT,
)
"""Every image rule, in id order."""
