"""SV-DF-015..017: secrets in ENV/ARG names and values, secret files copied into the image."""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.parser import env_pairs
from sievert.checks.dockerfile.rules._base import finding, make_rule
from sievert.checks.dockerfile.rules.add import sources
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction
from sievert.model.checks import CheckFinding

NAMED = make_rule(
    15,
    "high",
    "Secret passed in ENV or ARG",
    "ENV values are stored in the image config; ARG values given with --build-arg are kept in "
    "the image history of every RUN that follows. Anyone who can pull the image can read them.",
    "Use BuildKit secrets (`RUN --mount=type=secret,id=token ...`) at build time and inject "
    "secrets at run time (orchestrator secrets, files), never ENV or ARG.",
)
VALUE = make_rule(
    16,
    "critical",
    "Credential written in the Dockerfile",
    "A token, key or password in the Dockerfile is in your repository and in the image.",
    "Revoke the credential now, remove it from the Dockerfile and the git history, and pass "
    "it as a BuildKit secret or a run-time secret.",
)
FILES = make_rule(
    17,
    "high",
    "Secret file copied into the image",
    "Private keys, .env files and package-manager credentials copied into a layer stay in the "
    "image even if a later layer deletes them.",
    "Exclude them in .dockerignore; mount them at build time with `--mount=type=secret`.",
)
SECRET_NAME = re.compile(
    r"PASS(?:WORD|WD)?(?:$|_)|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|"
    r"AUTH_?KEY|CLIENT_?SECRET|(?:^|_)PAT$|SSH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY",
    re.IGNORECASE,
)
NOT_SECRET_SUFFIX = re.compile(
    r"_(?:FILE|PATH|DIR|URL_FILE|LENGTH|LEN|EXPIRY|TTL|TIMEOUT|HEADER|NAME|ID_FILE|ENABLED|"
    r"TYPE|ENDPOINT)$",
    re.IGNORECASE,
)
PATH_NAMES = frozenset({"GOOGLE_APPLICATION_CREDENTIALS"})
"""Variables that by definition name a file (Google's credentials JSON), never hold a secret."""
REFERENCE = re.compile(
    r"""^(?:
        [~.]{0,2}/                                  # /run/secrets/x, ./x, ../x, ~/x
      | \$\{?[A-Za-z_][A-Za-z0-9_]*\}?/              # ${SECRETS_DIR}/token
      | [A-Za-z]:[\\/]                              # C:\secrets\x
      | file://
      | arn:aws[\w-]*:(?:secretsmanager|ssm|kms):     # AWS Secrets Manager, SSM, KMS
      | projects/[^/\s]+/secrets/                    # Google Secret Manager
      | (?:vault|op|sm|gcp-sm|aws-sm|azure-kv|awssm|ssm):[^\s]+  # vault:, op://, sm://...
      | @Microsoft\.KeyVault\(                        # Azure App Service Key Vault reference
    )""",
    re.VERBOSE,
)
"""A value that says where the secret is (a file, a secret manager entry), not the secret."""
TOKEN_FORMATS = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_\w{22,}")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
    # The lookbehind starts a scheme only where a run of scheme characters starts: linear time.
    (
        "password in a URL",
        re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^/\s:@$'\"]+:[^/\s@$'\"{}]{3,}@"),
    ),
)
PLACEHOLDERS = frozenset({"changeme", "password", "secret", "xxx", "none", "null", "true", "false"})
SECRET_FILES = re.compile(
    r"^(?:id_(?:rsa|dsa|ecdsa|ed25519)|\.env(?:\.(?!example|sample|template|dist)[\w.-]+)?|"
    r"\.npmrc|\.pypirc|\.netrc|\.git-credentials|credentials(?:\.json)?|\.dockercfg|"
    r"\.htpasswd|.*\.(?:key|p12|pfx|jks|keystore|kdbx)|.*(?:key|priv)[\w.-]*\.pem)$",
    re.IGNORECASE,
)
SECRET_PATHS = (".docker/config.json", ".aws/credentials", ".ssh/", ".kube/config", ".gnupg/")
MIN_ENTROPY_LENGTH = 24
MIN_ENTROPY = 4.0


def secret_name(name: str) -> bool:
    """The variable name says it holds a secret (and not a path or setting about one)."""
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_SUFFIX.search(name)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def random_looking(value: str) -> bool:
    """Long, mixed-case, digits, no path or spaces, high entropy, not a hex digest."""
    if len(value) < MIN_ENTROPY_LENGTH or re.search(r"[\s/$:]", value):
        return False
    if re.fullmatch(r"[0-9a-fA-F]+", value) or re.fullmatch(r"[\d.\-+~_a-z]+", value):
        return False
    classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return classes == 3 and entropy(value) >= MIN_ENTROPY


def known_token(text: str) -> str:
    """The kind of the first known credential format in `text` ('' when none)."""
    for kind, pattern in TOKEN_FORMATS:
        if pattern.search(text):
            return kind
    return ""


def is_reference(value: str) -> bool:
    """The value is a file path or a secret-manager reference, not an inline secret."""
    return bool(REFERENCE.match(value.strip().strip("'\"")))


def _written_value(instruction: Instruction, name: str) -> str | None:
    """The value the ENV/ARG gives `name` as written, quotes removed (None: no `=value`)."""
    for written, value in env_pairs_raw(instruction):
        if written == name:
            return value.strip("'\"") if "=" in instruction.arguments or value else None
    return None


def env_pairs_raw(instruction: Instruction) -> list[tuple[str, str]]:
    """(name, value) pairs as written, before expansion."""
    raw = Instruction(
        instruction.keyword, instruction.arguments, (), False, (), 0, 0, "", instruction.arguments
    )
    return env_pairs(raw)


def check_named(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """ENV with an inline value, or an ARG without a path value, whose name says it is secret."""
    for instruction in dockerfile.instructions():
        if instruction.keyword not in ("ENV", "ARG"):
            continue
        for name, _ in env_pairs(instruction):
            if not secret_name(name) or name.upper() in PATH_NAMES:
                continue
            value = _written_value(instruction, name)
            if instruction.keyword == "ENV" and not value:
                continue
            if value and is_reference(value):
                continue
            message = f"{instruction.keyword} {name} holds a secret in the image"
            yield finding(NAMED, dockerfile, instruction, message)


def check_values(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """Known token formats anywhere; high-entropy values in ENV, ARG and LABEL."""
    for instruction in dockerfile.instructions():
        text = instruction.original
        kind = known_token(text)
        if kind:
            yield finding(VALUE, dockerfile, instruction, f"a {kind} is written here")
            continue
        if instruction.keyword not in ("ENV", "ARG", "LABEL"):
            continue
        for name, value in env_pairs_raw(instruction):
            if random_looking(value) and value.lower() not in PLACEHOLDERS:
                message = f"{name} has a random-looking value (possible secret)"
                yield finding(VALUE, dockerfile, instruction, message)


def secret_file(source: str) -> bool:
    """The path names a key, credentials or .env file."""
    path = source.rstrip("/")
    if any(marker in path for marker in SECRET_PATHS):
        return True
    return bool(SECRET_FILES.match(posixpath.basename(path)))


def check_files(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """COPY or ADD of a private key, .env, .npmrc, .pypirc, credentials, .git-credentials..."""
    for _, instruction in ((s, i) for s in dockerfile.stages for i in s.instructions):
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        found = [source for source in sources(instruction) if secret_file(source)]
        if found:
            message = f"{', '.join(found)} copied into the image"
            yield finding(FILES, dockerfile, instruction, message)
