"""Write the per-rule case folders `cases/<rule-id>/{bad,good}/<image path>` (run by hand).

Every value is synthetic: drawn from a seeded generator (or spelled with 'SievertFake'), in the
shape of a real token and never a real credential. `python -m tests.checks.secrets.make_cases`
rewrites the folders; the test suite only reads them.
"""

from __future__ import annotations

import base64
import random
import shutil
import string
from pathlib import Path

HERE = Path(__file__).parent / "cases"
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
UPPER32 = string.ascii_uppercase + "234567"
UPPER_DIGITS = string.ascii_uppercase + string.digits


def fake(rng: random.Random, n: int, alphabet: str = ALNUM, marker: str = "") -> str:
    """`marker` (kept only if its characters are allowed) followed by random characters."""
    head = marker if all(c in alphabet for c in marker) else ""
    return head + "".join(rng.choice(alphabet) for _ in range(n - len(head)))


def pem(rng: random.Random, label: str, lines: int = 6) -> str:
    body = "\n".join(fake(rng, 64, B64) for _ in range(lines))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def cases(rng: random.Random) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """rule id -> (bad files, good files), each path -> text."""
    f = lambda n, a=ALNUM, m="SievertFake": fake(rng, n, a, m)  # noqa: E731
    sa_key = pem(rng, "PRIVATE KEY").replace("\n", "\\n")
    return {
        "SV-SEC-001": (
            {"root/.ssh/id_rsa": pem(rng, "RSA PRIVATE KEY")},
            {"app/notes.txt": "-----BEGIN RSA PRIVATE KEY-----\n(paste here)\n"},
        ),
        "SV-SEC-002": (
            {"etc/app/ec.key": pem(rng, "EC PRIVATE KEY")},
            {"app/ec.pub": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"},
        ),
        "SV-SEC-003": (
            {"etc/ssh/ssh_host_dsa_key": pem(rng, "DSA PRIVATE KEY")},
            {"app/x.rb": 'HEADER = "-----BEGIN DSA PRIVATE KEY-----"\n'},
        ),
        "SV-SEC-004": (
            {"home/u/.ssh/id_ed25519": pem(rng, "OPENSSH PRIVATE KEY")},
            {"home/u/.ssh/id_ed25519.pub": "ssh-ed25519 AAAAC3Nza u@h\n"},
        ),
        "SV-SEC-005": (
            {
                "root/secret.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
                "Version: Test\n\n" + "\n".join(f(64, B64, "") for _ in range(4)) + "\n"
            },
            {"root/public.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n" + f(64, B64)},
        ),
        "SV-SEC-006": (
            {"app/tls/server.key": pem(rng, "PRIVATE KEY")},
            {"app/tls/server.crt": pem(rng, "CERTIFICATE")},
        ),
        "SV-SEC-007": (
            {"app/tls/enc.key": pem(rng, "ENCRYPTED PRIVATE KEY")},
            {"app/doc.txt": "use -----BEGIN ENCRYPTED PRIVATE KEY----- files\n"},
        ),
        "SV-SEC-008": (
            {"root/.aws/credentials": f"aws_access_key_id = AKIA{f(16, UPPER32, '')}\n"},
            {"root/.aws/credentials": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"},
        ),
        "SV-SEC-009": (
            {"root/.aws/credentials": f"aws_secret_access_key = {f(40, B64)}\n"},
            {
                "root/.aws/credentials": "aws_secret_access_key = "
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            },
        ),
        "SV-SEC-010": (
            {
                "app/sa.json": '{\n  "type": "service_account",\n  "project_id": "p",\n'
                f'  "private_key": "{sa_key}"\n}}\n'
            },
            {
                "app/other.json": '{\n  "type": "authorized_user",\n'
                f'  "private_key": "{sa_key}"\n}}\n'
            },
        ),
        "SV-SEC-011": (
            {
                "app/appsettings.json": '{"Storage": "DefaultEndpointsProtocol=https;'
                f"AccountName=sievertfake;AccountKey={f(86, ALNUM + '+/')}==;"
                'EndpointSuffix=core.windows.net"}\n'
            },
            {"app/appsettings.json": '{"Storage": "UseDevelopmentStorage=true"}\n'},
        ),
        "SV-SEC-012": (
            {
                "app/blob.url": "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b"
                f"&srt=o&sp=r&se=2030-01-01&sig={f(44, ALNUM + '%')}%3D\n"
            },
            {"app/blob.url": "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sig=\n"},
        ),
        "SV-SEC-013": (
            {"app/.env": f"AZURE_CLIENT_SECRET={f(3, ALNUM, '')}8Q~{f(34, ALNUM)}\n"},
            {"app/.env": "AZURE_CLIENT_SECRET=abc8Q~short\n"},
        ),
        "SV-SEC-014": (
            {"app/deploy.sh": f"export GH_TOKEN=ghp_{f(36)}\n"},
            {"app/deploy.sh": "export GH_TOKEN=ghp_short\n"},
        ),
        "SV-SEC-015": (
            {"root/.config/gh/hosts.yml": f"oauth_token: gho_{f(36)}\n"},
            {"root/.config/gh/hosts.yml": "oauth_token: gho_\n"},
        ),
        "SV-SEC-016": ({"app/token.txt": f"ghu_{f(36)}\n"}, {"app/token.txt": "ghu_123\n"}),
        "SV-SEC-017": ({"app/token.txt": f"ghs_{f(36)}\n"}, {"app/token.txt": "ghs_abc\n"}),
        "SV-SEC-018": ({"app/token.txt": f"ghr_{f(76)}\n"}, {"app/token.txt": "ghr_x\n"}),
        "SV-SEC-019": (
            {"app/.env": f"GITHUB_PAT=github_pat_{f(22)}_{f(59)}\n"},
            {"app/.env": "GITHUB_PAT=github_pat_\n"},
        ),
        "SV-SEC-020": (
            {"app/.gitlab.env": f"GITLAB_TOKEN=glpat-{f(20)}\n"},
            {"app/.gitlab.env": "GITLAB_TOKEN=glpat-\n"},
        ),
        "SV-SEC-021": (
            {"etc/gitlab-runner/config.toml": f'token = "glrt-{f(24)}"\n'},
            {"etc/gitlab-runner/config.toml": 'token = "glrt-"\n'},
        ),
        "SV-SEC-022": (
            {"app/slack.rb": f'TOKEN = "xoxb-1234567890-1234567890123-{f(24)}"\n'},
            {"app/slack.rb": 'TOKEN = "xoxb-not-a-token"\n'},
        ),
        "SV-SEC-023": (
            {
                "app/notify.sh": "curl -X POST https://hooks.slack.com/services/"
                f"T{f(10, string.ascii_uppercase + string.digits, '')}/"
                f"B{f(10, string.ascii_uppercase + string.digits, '')}/{f(24)}\n"
            },
            {"app/notify.sh": "curl https://hooks.slack.com/services/T000/B000/XXX\n"},
        ),
        "SV-SEC-024": (
            {"app/config.js": f'stripe("sk_live_{f(24)}")\n'},
            {"app/config.js": 'stripe("sk_test_' + f(24) + '")\n'},
        ),
        "SV-SEC-025": (
            {"app/.env": f"STRIPE_WEBHOOK_SECRET=whsec_{f(32)}\n"},
            {"app/.env": "STRIPE_WEBHOOK_SECRET=whsec_\n"},
        ),
        "SV-SEC-026": (
            {"app/twilio.rb": f'API_KEY = "SK{f(32, HEX, "")}"\n'},
            {"app/twilio.rb": 'API_KEY = "SK00000000000000000000000000000000"\n'},
        ),
        "SV-SEC-027": (
            {"app/.env": f"TWILIO_AUTH_TOKEN={f(32, HEX, '')}\n"},
            {"app/.env": "TWILIO_AUTH_TOKEN=${TWILIO_AUTH_TOKEN}\n"},
        ),
        "SV-SEC-028": (
            {"app/mail.rb": f'KEY = "SG.{f(22)}.{f(43)}"\n'},
            {"app/mail.rb": 'KEY = "SG.short.key"\n'},
        ),
        "SV-SEC-029": (
            {"app/mail.ini": f"api_key = key-{f(32, HEX, '')}\n"},
            {"app/mail.ini": "lookup = key-value-store-aaaaaaaaaaaaaaaaaaaaaa\n"},
        ),
        "SV-SEC-030": (
            {"app/.npmtoken": f"npm_{f(36)}\n"},
            {"app/run.sh": "npm_config_cache=/x\n"},
        ),
        "SV-SEC-031": (
            {"app/publish.sh": f"twine upload -p pypi-AgEIcHlwaS5vcmc{f(60, ALNUM + '_-')}\n"},
            {"app/publish.sh": "twine upload -p pypi-token\n"},
        ),
        "SV-SEC-032": (
            {"app/login.sh": f"docker login -p dckr_pat_{f(27)}\n"},
            {"app/login.sh": "docker login -p dckr_pat_\n"},
        ),
        "SV-SEC-033": (
            {"app/maps.js": f'const key = "AIza{f(35, ALNUM + "_-", "")}";\n'},
            {"app/maps.js": 'const key = "AIzaShort";\n'},
        ),
        "SV-SEC-034": (
            {
                "app/.env": f"HEROKU_API_KEY={rng.randbytes(16).hex()[:8]}-1a2b-3c4d-5e6f-"
                f"{rng.randbytes(6).hex()}\n"
            },
            {"app/.env": "HEROKU_APP=my-app\n"},
        ),
        "SV-SEC-035": (
            {"app/.env": f"HEROKU_KEY=HRKU-{f(60, ALNUM + '_-')}\n"},
            {"app/.env": "HEROKU_KEY=HRKU-\n"},
        ),
        "SV-SEC-036": (
            {"app/shop.rb": f"TOKEN = 'shpat_{f(32, HEX, '')}'\n"},
            {"app/shop.rb": "TOKEN = 'shpat_'\n"},
        ),
        "SV-SEC-037": (
            {"app/square.rb": f'TOKEN = "sq0atp-{f(22, ALNUM + "_-")}"\n'},
            {"app/square.rb": 'TOKEN = "sq0atp-short"\n'},
        ),
        "SV-SEC-038": (
            {"app/.env": f"PAGERDUTY_API_KEY={f(20, ALNUM + '_+-')}\n"},
            {"app/.env": "PAGERDUTY_SERVICE=backend\n"},
        ),
        "SV-SEC-039": (
            {"etc/datadog-agent/env": f"DD_API_KEY={f(32, HEX, '')}\n"},
            {"etc/datadog-agent/env": "DD_API_KEY=\n"},
        ),
        "SV-SEC-040": (
            {"app/newrelic.js": f"license: 'NRAK-{f(27, UPPER_DIGITS)}'\n"},
            {"app/newrelic.js": "license: 'NRAK-'\n"},
        ),
        "SV-SEC-041": (
            {"app/.vault-token": f"hvs.{f(90, ALNUM + '_-')}\n"},
            {"app/vault.hcl": 'path "hvs.short" {}\n'},
        ),
        "SV-SEC-042": (
            {
                "root/.terraformrc": f'credentials "app.terraform.io" {{ token = "{f(14)}'
                f'.atlasv1.{f(67, ALNUM + "_-")}" }}\n'
            },
            {"root/.terraformrc": 'credentials "app.terraform.io" { token = "" }\n'},
        ),
        "SV-SEC-043": (
            {"app/jira.env": f"JIRA_TOKEN=ATATT3{f(186, ALNUM + '_-')}\n"},
            {"app/jira.env": "JIRA_TOKEN=ATATT3short\n"},
        ),
        "SV-SEC-044": (
            {"root/.databrickscfg": f"token = dapi{f(32, HEX, '')}\n"},
            {"root/.databrickscfg": "token = dapi_see_vault\n"},
        ),
        "SV-SEC-045": (
            {"root/.config/doctl/config.yaml": f"access-token: dop_v1_{f(64, HEX, '')}\n"},
            {"root/.config/doctl/config.yaml": "access-token: dop_v1_\n"},
        ),
        "SV-SEC-046": (
            {"app/linear.ts": f'const key = "lin_api_{f(40)}";\n'},
            {"app/linear.ts": 'const key = "lin_api_";\n'},
        ),
        "SV-SEC-047": (
            {
                "app/.env": f"OPENAI_API_KEY=sk-proj-{f(100, ALNUM + '_-')}\n"
                f"LEGACY=sk-{f(20)}T3BlbkFJ{f(20)}\n"
            },
            {"app/.env": "OPENAI_API_KEY=sk-proj-\n"},
        ),
        "SV-SEC-048": (
            {"app/.env": f"ANTHROPIC_API_KEY=sk-ant-api03-{f(93, ALNUM + '_-')}AA\n"},
            {"app/.env": "ANTHROPIC_API_KEY=sk-ant-\n"},
        ),
        "SV-SEC-049": (
            {"root/.cache/huggingface/token": f"hf_{f(34, string.ascii_letters)}\n"},
            {"app/x.rb": "hf_hub_download_from_the_repository_now()\n"},
        ),
        "SV-SEC-050": (
            {
                "root/.config/sops/age/keys.txt": "AGE-SECRET-KEY-1"
                + f(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
                + "\n"
            },
            {"root/.config/sops/age/keys.txt": "# public key: age1qqq\n"},
        ),
        "SV-SEC-051": (
            {"etc/grafana/token": f"glsa_{f(32)}_{f(8, HEX, '')}\n"},
            {"etc/grafana/token": "glsa_\n"},
        ),
        "SV-SEC-052": (
            {"app/postman.env": f"PMAK-{f(24, HEX, '')}-{f(34, HEX, '')}\n"},
            {"app/postman.env": "PMAK-\n"},
        ),
        "SV-SEC-053": (
            {"root/.pulumi/credentials.json": f'{{"accessToken": "pul-{f(40, HEX, "")}"}}\n'},
            {"root/.pulumi/credentials.json": '{"accessToken": "pul-"}\n'},
        ),
        "SV-SEC-054": (
            {"root/.sentryclirc": f"token=sntryu_{f(64, HEX, '')}\n"},
            {"root/.sentryclirc": "token=sntryu_\n"},
        ),
        "SV-SEC-055": (
            {"app/bot.rb": f'TOKEN = "{rng.randint(10**8, 10**9)}:AA{f(33, ALNUM + "_-")}"\n'},
            {"app/bot.rb": 'TOKEN = "123:AAshort"\n'},
        ),
        "SV-SEC-056": (
            {
                "app/hook.sh": "curl https://discord.com/api/webhooks/123456789012345678/"
                f"{f(68, ALNUM + '_-')}\n"
            },
            {"app/hook.sh": "curl https://discord.com/api/webhooks/\n"},
        ),
        "SV-SEC-057": (
            {"app/.env": f"SUPABASE_ACCESS_TOKEN=sbp_{f(40, HEX, '')}\n"},
            {"app/.env": "SUPABASE_ACCESS_TOKEN=sbp_\n"},
        ),
        "SV-SEC-058": (
            {"root/.aliyun/config.json": f'{{"access_key_id": "LTAI{f(20, ALNUM, "")}"}}\n'},
            {"root/.aliyun/config.json": '{"access_key_id": "LTAI"}\n'},
        ),
        "SV-SEC-059": (
            {"app/.env": f"DOPPLER_TOKEN=dp.pt.{f(43)}\n"},
            {"app/.env": "DOPPLER_TOKEN=dp.pt.\n"},
        ),
        "SV-SEC-060": (
            {"app/map.js": f'const t = "sk.eyJ{f(60, ALNUM + "_-")}.{f(22, ALNUM + "_-")}";\n'},
            {"app/map.js": 'const t = "pk.eyJ1IjoiZm9vIn0.abc";\n'},
        ),
        "SV-SEC-061": (
            {
                "root/.docker/config.json": '{"auths": {"registry.example.org": '
                f'{{"auth": "{base64.b64encode(b"ci:" + f(16).encode()).decode()}"}}}}}}\n'
            },
            {"root/.docker/config.json": '{"auths": {}, "credsStore": "desktop"}\n'},
        ),
        "SV-SEC-062": (
            {"root/.netrc": f"machine git.internal login ci password {f(16)}\n"},
            {"root/.netrc": "machine git.internal login ci password ${NETRC_PASSWORD}\n"},
        ),
        "SV-SEC-063": (
            {"root/.pypirc": f"[pypi]\nusername = __token__\npassword = {f(20)}\n"},
            {"root/.pypirc": "[pypi]\nusername = __token__\npassword = <your token>\n"},
        ),
        "SV-SEC-064": (
            {"app/.npmrc": f"//registry.npmjs.org/:_authToken={f(36)}\n"},
            {"app/.npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"},
        ),
        "SV-SEC-065": (
            {"root/.git-credentials": f"https://ci:{f(20)}@git.internal\n"},
            {"root/.git-credentials": "https://ci@git.internal\n"},
        ),
        "SV-SEC-066": (
            {"app/settings.rb": f'DB = "postgres://app:{f(14)}@db.internal:5432/app"\n'},
            {
                "app/settings.rb": 'DB = "postgres://app:${DB_PASSWORD}@db.internal/app"\n'
                'DOC = "postgres://user:password@db.example.com/app"\n'
            },
        ),
        "SV-SEC-067": (
            {
                "etc/app/app.conf": f"[db]\nuser = app\npassword = {f(12)}\n",
                "app/.env": f"export DB_PASSWORD='{f(12)}'\n",
            },
            {
                "etc/app/app.conf": "[db]\npassword = ${DB_PASSWORD}\n",
                "app/settings.rb": f"password = '{f(12)}'  # not a config file\n",
            },
        ),
        "SV-SEC-068": (
            {"app/token.txt": _jwt(rng)},
            {"app/token.txt": "eyJhbGciOi.eyJzdWIi.short\n"},
        ),
    }


def _jwt(rng: random.Random) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(b'{"alg":"HS256","typ":"JWT"}')
    claims = part(b'{"sub":"sievert-fake-' + rng.randbytes(6).hex().encode() + b'","iat":1}')
    return f"{header}.{claims}.{part(rng.randbytes(32))}\n"


CORPUS = Path(__file__).parent / "corpus"


def corpus(rng: random.Random) -> dict[str, str]:
    """A small application tree for the comparison with trivy (bench/compare_secrets.py)."""
    f = lambda n, a=ALNUM, m="SievertFake": fake(rng, n, a, m)  # noqa: E731
    return {
        "app/.env": f"GITHUB_TOKEN=ghp_{f(36)}\nSTRIPE_KEY=sk_live_{f(24)}\n"
        f"OPENAI_API_KEY=sk-proj-{f(100, ALNUM + '_-')}\nDB_PASSWORD={f(12)}\n",
        "app/config/settings.yaml": f"database:\n  url: postgres://app:{f(14)}@db:5432/app\n"
        f"  password: {f(12)}\nslack: xoxb-1234567890-1234567890123-{f(24)}\n",
        "app/deploy/notify.sh": "curl -X POST https://hooks.slack.com/services/"
        f"T{f(10, string.ascii_uppercase + string.digits, '')}/"
        f"B{f(10, string.ascii_uppercase + string.digits, '')}/{f(24)}\n",
        "root/.ssh/id_rsa": pem(rng, "RSA PRIVATE KEY"),
        "root/.aws/credentials": f"[default]\naws_access_key_id = AKIA{f(16, UPPER32, '')}\n"
        f"aws_secret_access_key = {f(40, B64)}\n",
        "root/.docker/config.json": '{"auths": {"registry.internal": {"auth": "'
        + base64.b64encode(b"ci:" + f(16).encode()).decode()
        + '"}}}\n',
        "root/.npmrc": f"//registry.npmjs.org/:_authToken=npm_{f(36)}\n",
        "root/.git-credentials": f"https://ci:{f(20)}@git.internal\n",
        "etc/app/gcp.json": '{"type": "service_account", "private_key": "'
        + pem(rng, "PRIVATE KEY").replace("\n", "\\n")
        + '"}\n',
        "app/src/maps.js": f'const key = "AIza{f(35, ALNUM + "_-", "")}";\n',
        "app/src/hf.rb": f'HF_TOKEN = "hf_{f(34, string.ascii_letters)}"\n',
        "app/src/docs.md": "Use AKIAIOSFODNN7EXAMPLE as the key id in examples.\n",
        "app/node_modules/lib/test/fixture.pem": pem(rng, "EC PRIVATE KEY"),
        "usr/share/doc/app/README": f"token ghp_{f(36)}\n",
        "app/src/clean.rb": "print('nothing to see here')\n",
    }


def main() -> None:
    """Rewrite every case folder and the comparison corpus."""
    rng = random.Random(20260105)
    shutil.rmtree(CORPUS, ignore_errors=True)
    for path, text in corpus(random.Random(20260106)).items():
        target = CORPUS / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    shutil.rmtree(HERE, ignore_errors=True)
    for rule_id, (bad, good) in cases(rng).items():
        for kind, files in (("bad", bad), ("good", good)):
            for path, text in files.items():
                target = HERE / rule_id / kind / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
