# ruff: noqa: E501 - lockfile lines are as long as the tools write them
"""Lockfiles and manifests of the long tail, written in each format's documented shape.

Each is what the tool writes (pnpm 7/8/9, bun 1.2, pip lock, Maven, Gradle, Composer 1/2,
NuGet): the shapes were checked against the formats' documentation and files the tools wrote.
`FILES` places them as a project tree; `EXPECTED` names one package per format that the
end-to-end test matches against an OSV record.
"""

from __future__ import annotations

import json

INTEGRITY = "sha512-" + "A" * 86 + "=="
BULK = [(f"dep-{i:02d}", f"1.{i}.0") for i in range(30)]
"""Thirty plain packages, so a lockfile holds dozens of entries, as real ones do."""


def _v5_entries() -> str:
    lines = []
    for name, version in BULK:
        lines += [
            f"  /{name}/{version}:",
            f"    resolution: {{integrity: {INTEGRITY}}}",
            "    dev: false",
            "",
        ]
    return "\n".join(lines)


PNPM_V54 = f"""lockfileVersion: 5.4

specifiers:
  '@babel/code-frame': 7.18.6
  react-dom: 17.0.2
  string_decoder: ^1.3.0
  typescript: 4.9.5

dependencies:
  '@babel/code-frame': 7.18.6
  react-dom: 17.0.2_react@17.0.2
  string_decoder: 1.3.0

devDependencies:
  typescript: 4.9.5

packages:

  /@babel/code-frame/7.18.6:
    resolution: {{integrity: {INTEGRITY}}}
    engines: {{node: '>=6.9.0'}}
    dependencies:
      '@babel/highlight': 7.25.9
    dev: false

  /@babel/highlight/7.25.9:
    resolution: {{integrity: {INTEGRITY}}}
    engines: {{node: '>=6.9.0'}}
    dev: false

  /loose-envify/1.4.0:
    resolution: {{integrity: {INTEGRITY}}}
    hasBin: true
    dev: false

  /react-dom/17.0.2_react@17.0.2:
    resolution: {{integrity: {INTEGRITY}}}
    peerDependencies:
      react: 17.0.2
    dependencies:
      loose-envify: 1.4.0
      react: 17.0.2
    dev: false

  /react/17.0.2:
    resolution: {{integrity: {INTEGRITY}}}
    engines: {{node: '>=0.10.0'}}
    dev: false

  /@testing-library/react/12.1.5_biqbaboplfbrettd7655fr4n2y:
    resolution: {{integrity: {INTEGRITY}}}
    dev: true

  /string_decoder/1.3.0:
    resolution: {{integrity: {INTEGRITY}}}
    dev: false

  /typescript/4.9.5:
    resolution: {{integrity: {INTEGRITY}}}
    engines: {{node: '>=4.2.0'}}
    hasBin: true
    dev: true

  registry.example.com/private-lib/2.0.1:
    resolution: {{integrity: {INTEGRITY}, tarball: https://registry.example.com/private-lib/-/private-lib-2.0.1.tgz}}
    name: private-lib
    version: 2.0.1
    dev: false

{_v5_entries()}
"""
PNPM_V54_COUNT = 9 + len(BULK)

PNPM_V6 = f"""lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  react-dom:
    specifier: 18.2.0
    version: 18.2.0(react@18.2.0)

devDependencies:
  vitest:
    specifier: ^1.2.0
    version: 1.2.0(@types/node@20.11.5)

packages:

  /@types/node@20.11.5:
    resolution: {{integrity: {INTEGRITY}}}
    dev: true

  /react-dom@18.2.0(react@18.2.0):
    resolution: {{integrity: {INTEGRITY}}}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      react: 18.2.0
    dev: false

  /react@18.2.0:
    resolution: {{integrity: {INTEGRITY}}}
    dev: false

  /vitest@1.2.0(@types/node@20.11.5):
    resolution: {{integrity: {INTEGRITY}}}
    dev: true
"""

PNPM_V9 = f"""lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      express:
        specifier: 4.17.1
        version: 4.17.1
      react-dom:
        specifier: 17.0.2
        version: 17.0.2(react@17.0.2)
    devDependencies:
      '@types/express':
        specifier: ^4.17.21
        version: 4.17.21

packages:

  '@types/express@4.17.21':
    resolution: {{integrity: {INTEGRITY}}}

  express@4.17.1:
    resolution: {{integrity: {INTEGRITY}}}
    engines: {{node: '>= 0.10.0'}}

  react-dom@17.0.2:
    resolution: {{integrity: {INTEGRITY}}}
    peerDependencies:
      react: 17.0.2

  react@17.0.2:
    resolution: {{integrity: {INTEGRITY}}}

snapshots:

  '@types/express@4.17.21': {{}}

  express@4.17.1:
    dependencies:
      ms: 2.0.0

  ms@2.0.0: {{}}

  react-dom@17.0.2(react@17.0.2):
    dependencies:
      loose-envify: 1.4.0
      react: 17.0.2

  react@17.0.2:
    dependencies:
      loose-envify: 1.4.0

  loose-envify@1.4.0: {{}}
"""

BUN_LOCK = f"""{{
  "lockfileVersion": 1,
  "workspaces": {{
    "": {{
      "name": "bun-app",
      "dependencies": {{
        "express": "4.17.1",
        "lodash": "^4.17.15",
      }},
      "devDependencies": {{
        "typescript": "4.9.5",
      }},
    }},
    "packages/lib": {{
      "name": "lib",
      "version": "0.1.0",
    }},
  }},
  "packages": {{
    "express": ["express@4.17.1", "", {{ "dependencies": {{ "debug": "2.6.9", "send": "0.17.1" }} }}, "{INTEGRITY}"],

    "debug": ["debug@2.6.9", "", {{ "dependencies": {{ "ms": "2.0.0" }} }}, "{INTEGRITY}"],

    "lib": ["lib@workspace:packages/lib"],

    "lodash": ["lodash@4.17.15", "", {{}}, "{INTEGRITY}"],

    "ms": ["ms@2.0.0", "", {{}}, "{INTEGRITY}"],

    "send": ["send@0.17.1", "", {{ "dependencies": {{ "ms": "2.1.1" }} }}, "{INTEGRITY}"],

    "typescript": ["typescript@4.9.5", "", {{ "bin": {{ "tsc": "bin/tsc" }} }}, "{INTEGRITY}"],

    "send/ms": ["ms@2.1.1", "", {{}}, "{INTEGRITY}"],
  }}
}}
"""

PYLOCK = """lock-version = '1.0'
environments = ["sys_platform == 'win32'", "sys_platform == 'linux'"]
requires-python = '== 3.12.*'
created-by = 'pip'

[[packages]]
name = 'attrs'
version = '25.1.0'
requires-python = '>=3.8'
wheels = [
  {name = 'attrs-25.1.0-py3-none-any.whl', upload-time = 2025-01-25T11:30:10.164985+00:00, url = 'https://files.pythonhosted.org/packages/fc/30/attrs-25.1.0-py3-none-any.whl', size = 63152, hashes = {sha256 = 'c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a'}},
]

[[packages]]
name = 'Jinja2'
version = '2.10'
index = 'https://pypi.org/simple'
wheels = [
  {url = 'https://files.pythonhosted.org/packages/7f/ff/Jinja2-2.10-py2.py3-none-any.whl', hashes = {sha256 = 'beda7ea1a9c7d3a1'}},
]

[[packages]]
name = 'myproject'
directory = {path = '.', editable = true}

[[packages]]
name = 'tool-from-git'
vcs = {type = 'git', url = 'https://example.com/tool.git', commit-id = '0123456789abcdef0123456789abcdef01234567'}
"""

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>platform-parent</artifactId>
    <version>3.4.0</version>
  </parent>
  <artifactId>orders-service</artifactId>
  <packaging>jar</packaging>

  <properties>
    <java.version>17</java.version>
    <jackson.version>2.9.8</jackson.version>
    <log4j2.version>2.14.1</log4j2.version>
    <log4j.version>${log4j2.version}</log4j.version>
  </properties>

  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>${log4j.version}</version>
      </dependency>
      <dependency>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-dependencies</artifactId>
        <version>3.2.0</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>

  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>orders-api</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>io.netty</groupId>
      <artifactId>netty-handler</artifactId>
      <version>${netty.version}</version>
    </dependency>
    <dependency>
      <groupId>commons-io</groupId>
      <artifactId>commons-io</artifactId>
      <version>[2.0,3.0)</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.12</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
"""

GRADLE_LOCK = """# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
com.fasterxml.jackson.core:jackson-annotations:2.13.0=compileClasspath,runtimeClasspath
com.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath
org.apache.logging.log4j:log4j-api:2.14.1=runtimeClasspath
org.junit.jupiter:junit-jupiter-api:5.9.1=testCompileClasspath,testRuntimeClasspath
empty=annotationProcessor,testAnnotationProcessor
"""

BUILDSCRIPT_GRADLE_LOCK = """# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
org.yaml:snakeyaml:1.33=classpath
empty=
"""


def _composer_entry(name: str, version: str) -> dict[str, object]:
    return {
        "name": name,
        "version": version,
        "version_normalized": f"{version.lstrip('v')}.0",
        "type": "library",
        "license": ["MIT"],
        "install-path": f"../{name}",
    }


COMPOSER_V2 = json.dumps(
    {
        "packages": [
            _composer_entry("guzzlehttp/psr7", "1.8.0"),
            _composer_entry("phpunit/phpunit", "9.6.0"),
        ],
        "dev": True,
        "dev-package-names": ["phpunit/phpunit"],
    },
    indent=4,
)
COMPOSER_V1 = json.dumps([_composer_entry("monolog/monolog", "1.25.0")], indent=4)

NUGET_LOCK = json.dumps(
    {
        "version": 1,
        "dependencies": {
            "net8.0": {
                "Newtonsoft.Json": {
                    "type": "Direct",
                    "requested": "[12.0.1, )",
                    "resolved": "12.0.1",
                    "contentHash": "pBR3wCgYWZGiaZDYP+HHYnalVnPJlpP1q55qvVb+adrDHmFMDc1NAKio61xTwftK3Pw==",
                },
                "System.Text.Encodings.Web": {
                    "type": "Transitive",
                    "resolved": "4.5.0",
                    "contentHash": "Xg4G4Indi4dqP1iuAiMSwpiWS54ZghzR644OtsRCm/m/lBMG8dUBhLVN7hLm8NNrNTR+iGbshCPTwrvxKPu==",
                },
                "Orders.Core": {"type": "Project"},
            }
        },
    },
    indent=2,
)
PACKAGES_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="log4net" version="2.0.8" targetFramework="net472" />
  <package id="Microsoft.Net.Compilers" version="2.4.0" targetFramework="net472" developmentDependency="true" />
</packages>
"""
DEPS_JSON = json.dumps(
    {
        "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
        "compilationOptions": {},
        "targets": {
            ".NETCoreApp,Version=v8.0": {
                "Orders.Api/1.0.0": {
                    "dependencies": {"System.Text.Json": "8.0.0"},
                    "runtime": {"Orders.Api.dll": {}},
                },
                "System.Text.Json/8.0.0": {
                    "runtime": {"lib/net8.0/System.Text.Json.dll": {}},
                },
            }
        },
        "libraries": {
            "Orders.Api/1.0.0": {"type": "project", "serviceable": False, "sha512": ""},
            "System.Text.Json/8.0.0": {
                "type": "package",
                "serviceable": True,
                "sha512": "sha512-abc",
                "path": "system.text.json/8.0.0",
                "hashPath": "system.text.json.8.0.0.nupkg.sha512",
            },
        },
    },
    indent=2,
)

FILES: dict[str, str] = {
    "web/v5/pnpm-lock.yaml": PNPM_V54,
    "web/v6/pnpm-lock.yaml": PNPM_V6,
    "web/v9/pnpm-lock.yaml": PNPM_V9,
    "web/bun/bun.lock": BUN_LOCK,
    "py/pylock.toml": PYLOCK,
    "jvm/pom.xml": POM,
    "jvm/gradle.lockfile": GRADLE_LOCK,
    "jvm/buildscript-gradle.lockfile": BUILDSCRIPT_GRADLE_LOCK,
    "php/vendor/composer/installed.json": COMPOSER_V2,
    "legacy/installed.json": COMPOSER_V1,
    "dotnet/packages.lock.json": NUGET_LOCK,
    "dotnet/legacy/packages.config": PACKAGES_CONFIG,
    "app/Orders.Api.deps.json": DEPS_JSON,
}
"""The project tree a `dir:` scan reads and an image holds."""

EXPECTED: dict[str, tuple[str, str, str, str]] = {
    # format: (OSV ecosystem, OSV package name, package type, version in the file)
    "pnpm v5.4": ("npm", "react-dom", "npm", "17.0.2"),
    "pnpm v6": ("npm", "vitest", "npm", "1.2.0"),
    "pnpm v9": ("npm", "loose-envify", "npm", "1.4.0"),
    "bun.lock": ("npm", "lodash", "npm", "4.17.15"),
    "pylock.toml": ("PyPI", "jinja2", "pypi", "2.10"),
    "pom.xml": ("Maven", "org.apache.logging.log4j:log4j-core", "maven", "2.14.1"),
    "gradle.lockfile": ("Maven", "com.google.guava:guava", "maven", "31.1-jre"),
    "buildscript-gradle.lockfile": ("Maven", "org.yaml:snakeyaml", "maven", "1.33"),
    "composer v2 installed.json": ("Packagist", "guzzlehttp/psr7", "composer", "1.8.0"),
    "composer v1 installed.json": ("Packagist", "monolog/monolog", "composer", "1.25.0"),
    "packages.lock.json": ("NuGet", "Newtonsoft.Json", "nuget", "12.0.1"),
    "packages.config": ("NuGet", "log4net", "nuget", "2.0.8"),
    "deps.json": ("NuGet", "System.Text.Json", "nuget", "8.0.0"),
}
"""One package per format and the OSV record that names it."""
