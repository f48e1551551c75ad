"""SECRET_RULES: the built-in secret rules, one explicit tuple, ids SV-SEC-001 onwards.

Specific token formats come first; the generic rules (passwords in URLs and config files, JWTs)
last, so that when two rules match the same text the specific one is reported.
"""

from __future__ import annotations

import re

from sievert.checks.secrets.rule import SecretRule, variants
from sievert.model.checks import Rule
from sievert.model.severity import Severity

RULES_VERSION = "1"
"""Bumped whenever a rule changes: part of the layer-cache key of the secret extractor."""

CONFIG_FILES = (
    "**/*.conf",
    "**/*.cfg",
    "**/*.cnf",
    "**/*.ini",
    "**/*.yaml",
    "**/*.yml",
    "**/*.properties",
    "**/*.toml",
    "**/*.env",
    "**/.env",
    "**/.env.*",
)
"""Files the generic `password = ...` rule reads."""

PLACEHOLDER = re.compile(
    r"(?i)^(?:[\$%<{\[(]|\*+$|x{3,}|\.{3})|example|sample|dummy|placeholder|changeme|change_me"
    r"|your[_-]|redacted|^(?:password|passwd|secret|pass|none|null|nil|true|false|empty"
    r"|required|optional|undefined|string|value|token|test)$|^(.)\1*$"
)
"""Values that stand for a secret without being one (variables, examples, masks)."""

_RATIONALE_TEXT = (
    "Anyone who can pull the image can read every file of every layer, and with this {what} "
    "act as its owner. Deleting the file in a later layer does not remove it from the image."
)
_REMEDIATION_TEXT = (
    "Revoke and rotate the {what}. Pass it at run time (a secret mount, a secret store, an "
    "environment variable set by the orchestrator) or use a build secret "
    "(`RUN --mount=type=secret`) so it never lands in a layer."
)


def _rule(
    number: int,
    severity: str,
    title: str,
    what: str,
    keywords: tuple[str, ...],
    pattern: str,
    **options: object,
) -> SecretRule:
    rule_id = f"SV-SEC-{number:03d}"
    rule = Rule(
        id=rule_id,
        severity=Severity(severity),
        title=title,
        rationale=_RATIONALE_TEXT.format(what=what),
        remediation=_REMEDIATION_TEXT.format(what=what),
        docs=f"docs/rules/{rule_id}.md",
    )
    return SecretRule(rule=rule, keywords=keywords, regex=re.compile(pattern), **options)  # type: ignore[arg-type]


def _key_block(kind: str) -> str:
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    return (
        rf"-----BEGIN {label}-----[ \t]*\r?\n(?:[A-Za-z-]+:[^\n]*\n)*\s*"
        r"(?P<secret>[A-Za-z0-9+/=]{40,}(?:\s+[A-Za-z0-9+/=]+)*)"
    )


def _assigned(names: str, value: str) -> str:
    """`name = value`, `name: value`, `"name": "value"` for the given name regex."""
    return rf"(?i:{names})[\w.-]{{0,20}}[\"']?\s*[:=]\s*[\"']?(?P<secret>{value})"


SECRET_RULES: tuple[SecretRule, ...] = (
    _rule(
        1,
        "high",
        "RSA private key",
        "RSA private key",
        ("BEGIN RSA PRIVATE KEY",),
        _key_block("RSA"),
    ),
    _rule(
        2, "high", "EC private key", "EC private key", ("BEGIN EC PRIVATE KEY",), _key_block("EC")
    ),
    _rule(
        3,
        "high",
        "DSA private key",
        "DSA private key",
        ("BEGIN DSA PRIVATE KEY",),
        _key_block("DSA"),
    ),
    _rule(
        4,
        "high",
        "OpenSSH private key",
        "SSH private key",
        ("BEGIN OPENSSH PRIVATE KEY",),
        _key_block("OPENSSH"),
    ),
    _rule(
        5,
        "high",
        "PGP private key block",
        "PGP private key",
        ("BEGIN PGP PRIVATE KEY BLOCK",),
        r"-----BEGIN PGP PRIVATE KEY BLOCK-----[ \t]*\r?\n(?:[A-Za-z-]+:[^\n]*\n)*\s*"
        r"(?P<secret>[A-Za-z0-9+/=]{40,}(?:\s+[A-Za-z0-9+/=]+)*)",
    ),
    _rule(6, "high", "PKCS#8 private key", "private key", ("BEGIN PRIVATE KEY",), _key_block("")),
    _rule(
        7,
        "medium",
        "Encrypted PKCS#8 private key",
        "encrypted private key",
        ("BEGIN ENCRYPTED PRIVATE KEY",),
        _key_block("ENCRYPTED"),
    ),
    _rule(
        8,
        "critical",
        "AWS access key id",
        "AWS access key",
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
        r"(?<![A-Z0-9])(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Z0-9])",
        entropy=3.0,
    ),
    _rule(
        9,
        "critical",
        "AWS secret access key",
        "AWS secret access key",
        (
            *variants("secret_access_key", "aws_secret_key", "secretaccesskey"),
            "SecretAccessKey",
            "secretAccessKey",
        ),
        r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)[\"']?\s*[:=]\s*"
        r"[\"']?(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
        entropy=3.5,
    ),
    _rule(
        10,
        "critical",
        "GCP service account private key",
        "service-account key",
        ("service_account",),
        r"\"private_key\"\s*:\s*\"(?P<secret>-----BEGIN PRIVATE KEY-----[^\"]{64,})\"",
        context=re.compile(r"\"type\"\s*:\s*\"service_account\""),
    ),
    _rule(
        11,
        "critical",
        "Azure storage account key",
        "storage account key",
        ("AccountKey=",),
        r"AccountName=[^;\s]+;\s*AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
    ),
    _rule(
        12,
        "high",
        "Azure shared access signature",
        "shared access signature",
        ("sig=",),
        r"[?&]sv=\d{4}-\d\d-\d\d&[^\s\"'<>]*?sig=(?P<secret>[A-Za-z0-9%+/]{40,}(?:%3D|=)*)",
    ),
    _rule(
        13,
        "high",
        "Azure AD client secret",
        "client secret",
        ("Q~",),
        r"(?<![A-Za-z0-9_~.-])(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})"
        r"(?![A-Za-z0-9_~.-])",
        entropy=3.5,
    ),
    _rule(
        14,
        "critical",
        "GitHub personal access token",
        "GitHub token",
        ("ghp_",),
        r"\bghp_[A-Za-z0-9]{36}\b",
    ),
    _rule(
        15,
        "critical",
        "GitHub OAuth access token",
        "GitHub OAuth token",
        ("gho_",),
        r"\bgho_[A-Za-z0-9]{36}\b",
    ),
    _rule(
        16,
        "critical",
        "GitHub user-to-server token",
        "GitHub App token",
        ("ghu_",),
        r"\bghu_[A-Za-z0-9]{36}\b",
    ),
    _rule(
        17,
        "critical",
        "GitHub server-to-server token",
        "GitHub App installation token",
        ("ghs_",),
        r"\bghs_[A-Za-z0-9]{36}\b",
    ),
    _rule(
        18,
        "critical",
        "GitHub refresh token",
        "GitHub refresh token",
        ("ghr_",),
        r"\bghr_[A-Za-z0-9]{36,76}\b",
    ),
    _rule(
        19,
        "critical",
        "GitHub fine-grained personal access token",
        "GitHub token",
        ("github_pat_",),
        r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b",
    ),
    _rule(
        20,
        "critical",
        "GitLab personal access token",
        "GitLab token",
        ("glpat-",),
        r"\bglpat-[A-Za-z0-9_-]{20,}",
    ),
    _rule(
        21,
        "high",
        "GitLab runner or pipeline trigger token",
        "GitLab CI token",
        ("glrt-", "glptt-", "GR1348941"),
        r"\b(?:glrt-[A-Za-z0-9_-]{20,}|glptt-[0-9a-f]{40}|GR1348941[A-Za-z0-9_-]{20})",
    ),
    _rule(
        22,
        "high",
        "Slack token",
        "Slack token",
        ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-"),
        r"\bxox[abeprs]-(?:\d+-)+[0-9A-Za-z-]{10,}",
    ),
    _rule(
        23,
        "high",
        "Slack incoming webhook",
        "Slack webhook URL",
        ("hooks.slack.com",),
        r"hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/"
        r"(?P<secret>[A-Za-z0-9]{24})",
    ),
    _rule(
        24,
        "critical",
        "Stripe live secret or restricted key",
        "Stripe key",
        ("sk_live_", "rk_live_"),
        r"\b[rs]k_live_[0-9A-Za-z]{24,99}\b",
    ),
    _rule(
        25,
        "high",
        "Stripe webhook signing secret",
        "webhook signing secret",
        ("whsec_",),
        r"\bwhsec_[A-Za-z0-9+/]{32,}\b",
    ),
    _rule(
        26, "high", "Twilio API key", "Twilio API key", ("SK",), r"\bSK[0-9a-f]{32}\b", entropy=3.0
    ),
    _rule(
        27,
        "high",
        "Twilio auth token",
        "Twilio auth token",
        variants("twilio"),
        _assigned(r"twilio[\w.-]{0,20}(?:auth)?[_-]?token", r"[0-9a-f]{32}") + r"\b",
        entropy=3.0,
    ),
    _rule(
        28,
        "high",
        "SendGrid API key",
        "SendGrid key",
        ("SG.",),
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    ),
    _rule(
        29,
        "high",
        "Mailgun API key",
        "Mailgun key",
        ("key-",),
        r"\bkey-[0-9a-z]{32}\b",
        entropy=3.5,
    ),
    _rule(
        30,
        "high",
        "npm access token",
        "npm token",
        ("npm_",),
        r"\bnpm_[A-Za-z0-9]{36}\b",
        entropy=3.5,
    ),
    _rule(
        31,
        "high",
        "PyPI upload token",
        "PyPI token",
        ("pypi-AgEIcHlwaS5vcmc",),
        r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    ),
    _rule(
        32,
        "high",
        "Docker Hub personal access token",
        "Docker Hub token",
        ("dckr_pat_",),
        r"\bdckr_pat_[A-Za-z0-9_-]{27,}",
    ),
    _rule(
        33,
        "high",
        "Google API key",
        "Google API key",
        ("AIza",),
        r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])",
    ),
    _rule(
        34,
        "high",
        "Heroku API key",
        "Heroku API key",
        variants("heroku"),
        _assigned(
            r"heroku[\w.-]{0,20}(?:key|token)",
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ),
    ),
    _rule(35, "high", "Heroku platform key", "Heroku key", ("HRKU-",), r"\bHRKU-[A-Za-z0-9_-]{60}"),
    _rule(
        36,
        "high",
        "Shopify access token or shared secret",
        "Shopify token",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
    ),
    _rule(
        37,
        "high",
        "Square access token or OAuth secret",
        "Square token",
        ("sq0atp-", "sq0csp-", "EAAA"),
        r"\b(?:sq0atp-[0-9A-Za-z_-]{22}|sq0csp-[0-9A-Za-z_-]{43}|EAAA[A-Za-z0-9_-]{60})\b",
        entropy=3.5,
    ),
    _rule(
        38,
        "high",
        "PagerDuty API key",
        "PagerDuty key",
        variants("pagerduty"),
        _assigned(r"pager_?duty[\w.-]{0,20}(?:key|token)", r"[A-Za-z0-9_+-]{20}") + r"\b",
        entropy=3.0,
    ),
    _rule(
        39,
        "high",
        "Datadog API or application key",
        "Datadog key",
        (*variants("datadog", "dd_api_key", "dd_app_key", "dd_application_key"),),
        _assigned(
            r"(?:datadog|dd)[_-]?(?:api|app(?:lication)?)[_-]?key", r"[a-f0-9]{32}(?:[a-f0-9]{8})?"
        )
        + r"\b",
        entropy=3.0,
    ),
    _rule(
        40,
        "high",
        "New Relic key",
        "New Relic key",
        ("NRAK-", "NRJS-", "NRII-"),
        r"\bNR(?:AK-[A-Z0-9]{27}|JS-[a-f0-9]{19}|II-[A-Za-z0-9_-]{32})\b",
    ),
    _rule(
        41,
        "critical",
        "HashiCorp Vault token",
        "Vault token",
        ("hvs.", "hvb."),
        r"\bhv[sb]\.[A-Za-z0-9_-]{24,}",
    ),
    _rule(
        42,
        "critical",
        "Terraform Cloud API token",
        "Terraform Cloud token",
        ("atlasv1",),
        r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
    ),
    _rule(
        43,
        "high",
        "Atlassian API token",
        "Atlassian token",
        ("ATATT3",),
        r"\bATATT3[A-Za-z0-9_=-]{180,200}",
    ),
    _rule(
        44,
        "critical",
        "Databricks personal access token",
        "Databricks token",
        ("dapi",),
        r"\bdapi[a-f0-9]{32}(?:-\d)?\b",
        entropy=3.0,
    ),
    _rule(
        45,
        "critical",
        "DigitalOcean token",
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        r"\bdo[opr]_v1_[a-f0-9]{64}\b",
    ),
    _rule(
        46, "high", "Linear API key", "Linear key", ("lin_api_",), r"\blin_api_[A-Za-z0-9]{40}\b"
    ),
    _rule(
        47,
        "high",
        "OpenAI API key",
        "OpenAI key",
        ("T3BlbkFJ", "sk-proj-", "sk-svcacct-", "sk-admin-"),
        r"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"
        r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
    ),
    _rule(
        48,
        "high",
        "Anthropic API key",
        "Anthropic key",
        ("sk-ant-",),
        r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}",
    ),
    _rule(
        49,
        "high",
        "Hugging Face access token",
        "Hugging Face token",
        ("hf_",),
        r"\bhf_[A-Za-z]{34}\b",
        entropy=3.5,
    ),
    _rule(
        50,
        "high",
        "age secret key",
        "age secret key",
        ("AGE-SECRET-KEY-1",),
        r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b",
    ),
    _rule(
        51,
        "high",
        "Grafana token",
        "Grafana token",
        ("glc_", "glsa_"),
        r"\b(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
    ),
    _rule(
        52,
        "high",
        "Postman API key",
        "Postman key",
        ("PMAK-",),
        r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b",
    ),
    _rule(
        53,
        "high",
        "Pulumi access token",
        "Pulumi token",
        ("pul-",),
        r"\bpul-[a-f0-9]{40}\b",
        entropy=3.0,
    ),
    _rule(
        54,
        "high",
        "Sentry auth token",
        "Sentry token",
        ("sntrys_", "sntryu_"),
        r"\b(?:sntrys_eyJ[A-Za-z0-9+/=_-]{60,}|sntryu_[a-f0-9]{64})",
    ),
    _rule(
        55,
        "high",
        "Telegram bot token",
        "Telegram bot token",
        (":AA",),
        r"\b\d{8,10}:AA[0-9A-Za-z_-]{33}(?![0-9A-Za-z_-])",
        entropy=3.5,
    ),
    _rule(
        56,
        "medium",
        "Discord webhook",
        "Discord webhook URL",
        ("/api/webhooks/",),
        r"discord(?:app)?\.com/api/webhooks/\d+/(?P<secret>[A-Za-z0-9_-]{60,})",
    ),
    _rule(
        57, "high", "Supabase access token", "Supabase token", ("sbp_",), r"\bsbp_[a-f0-9]{40}\b"
    ),
    _rule(
        58,
        "high",
        "Alibaba Cloud access key id",
        "Alibaba Cloud key",
        ("LTAI",),
        r"\bLTAI[A-Za-z0-9]{20}\b",
        entropy=3.5,
    ),
    _rule(
        59,
        "high",
        "Doppler token",
        "Doppler token",
        ("dp.pt.", "dp.st.", "dp.sa."),
        r"\bdp\.(?:pt|st|sa)\.[A-Za-z0-9]{40,44}\b",
    ),
    _rule(
        60,
        "high",
        "Mapbox secret token",
        "Mapbox token",
        ("sk.eyJ",),
        r"\bsk\.eyJ[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{20,}",
    ),
    _rule(
        61,
        "high",
        "Docker registry credentials in config.json",
        "registry credential",
        ('"auth"', '"identitytoken"'),
        r"\"(?:auth|identitytoken)\"\s*:\s*\"(?P<secret>[A-Za-z0-9+/=._-]{8,})\"",
        paths=("**/.docker/config.json", "**/.dockercfg", "**/containers/auth.json"),
    ),
    _rule(
        62,
        "high",
        "Password in .netrc",
        ".netrc password",
        ("password",),
        r"\bpassword\s+(?P<secret>\S+)",
        paths=("**/.netrc", "**/_netrc"),
        allow=PLACEHOLDER,
    ),
    _rule(
        63,
        "high",
        "Password in .pypirc",
        ".pypirc password",
        ("password",),
        r"(?m)^\s*password\s*[:=]\s*(?P<secret>\S+)",
        paths=("**/.pypirc",),
        allow=PLACEHOLDER,
    ),
    _rule(
        64,
        "high",
        "Token or password in .npmrc",
        ".npmrc credential",
        ("_auth", "_password"),
        r"(?:_authToken|_auth|_password)\s*=\s*[\"']?(?P<secret>[^\s\"']{8,})",
        paths=("**/.npmrc",),
        allow=PLACEHOLDER,
    ),
    _rule(
        65,
        "high",
        "Credentials in .git-credentials",
        "Git credential",
        ("@",),
        r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@]+)@",
        paths=("**/.git-credentials",),
        allow=PLACEHOLDER,
    ),
    _rule(
        66,
        "high",
        "Password in a URL",
        "password",
        ("://",),
        r"://(?P<user>[A-Za-z0-9._~%!+-]{1,64}):(?P<secret>[^\s:/@\"'<>{}$`\\]{3,128})"
        r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*",
        allow=PLACEHOLDER,
    ),
    _rule(
        67,
        "medium",
        "Password in a configuration file",
        "password",
        variants("password", "passwd", "pwd"),
        r"(?im)^[ \t]*(?:export[ \t]+)?[\"']?[\w.-]*(?:password|passwd|pwd)[\"']?[ \t]*[:=]"
        r"[ \t]*[\"']?(?P<secret>[^\s\"'#;,]{4,})",
        paths=CONFIG_FILES,
        allow=PLACEHOLDER,
    ),
    _rule(
        68,
        "medium",
        "JSON Web Token",
        "token",
        ("eyJ",),
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        entropy=3.5,
    ),
)
"""Every built-in secret rule, in the order matches are preferred."""

RULES_BY_ID = {rule.id: rule for rule in SECRET_RULES}
