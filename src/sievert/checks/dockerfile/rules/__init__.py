"""Every Dockerfile rule, in one explicit tuple: DOCKERFILE_RULES."""

from __future__ import annotations

from sievert.checks.dockerfile.rules import (
    add,
    base_image,
    download,
    downloaders,
    invalid,
    packages,
    pipefail,
    ports,
    privilege,
    secrets,
    structure,
    tls,
    user,
    workdir_cd,
)
from sievert.checks.dockerfile.rules._base import Check, DockerfileRule

DOCKERFILE_RULES: tuple[DockerfileRule, ...] = (
    DockerfileRule(user.RULE, user.check),
    DockerfileRule(base_image.LATEST, base_image.check_latest),
    DockerfileRule(base_image.DIGEST, base_image.check_digest),
    DockerfileRule(base_image.ALLOWED, base_image.check_allowed),
    DockerfileRule(base_image.STAGE_REF, base_image.check_stage_refs),
    DockerfileRule(add.URL, add.check_url),
    DockerfileRule(add.LOCAL, add.check_local),
    DockerfileRule(add.ARCHIVE, add.check_archive),
    DockerfileRule(download.PIPE, download.check_pipe),
    DockerfileRule(download.UNVERIFIED, download.check_unverified),
    DockerfileRule(tls.TLS, tls.check_tls),
    DockerfileRule(tls.SIGNATURES, tls.check_signatures),
    DockerfileRule(ports.SENSITIVE, ports.check_sensitive),
    DockerfileRule(ports.INVALID, ports.check_invalid),
    DockerfileRule(secrets.NAMED, secrets.check_named),
    DockerfileRule(secrets.VALUE, secrets.check_values),
    DockerfileRule(secrets.FILES, secrets.check_files),
    DockerfileRule(privilege.SUDO, privilege.check_sudo),
    DockerfileRule(privilege.WORLD_WRITABLE, privilege.check_world_writable),
    DockerfileRule(privilege.UPGRADE, privilege.check_upgrade),
    DockerfileRule(packages.APT_YES, packages.check_apt_yes),
    DockerfileRule(packages.RECOMMENDS, packages.check_recommends),
    DockerfileRule(packages.APT_LISTS, packages.check_apt_lists),
    DockerfileRule(packages.UPDATE_ALONE, packages.check_update_alone),
    DockerfileRule(packages.APK_CACHE, packages.check_apk_cache),
    DockerfileRule(packages.PIP_CACHE, packages.check_pip_cache),
    DockerfileRule(packages.YUM_CLEAN, packages.check_yum_clean),
    DockerfileRule(packages.UNPINNED, packages.check_unpinned),
    DockerfileRule(structure.HEALTHCHECK, structure.check_healthcheck),
    DockerfileRule(structure.WORKDIR, structure.check_workdir),
    DockerfileRule(structure.REPEATED, structure.check_repeated),
    DockerfileRule(structure.MAINTAINER, structure.check_maintainer),
    DockerfileRule(invalid.RULE, invalid.check),
    DockerfileRule(downloaders.RULE, downloaders.check),
    DockerfileRule(pipefail.RULE, pipefail.check),
    DockerfileRule(workdir_cd.RULE, workdir_cd.check),
)
"""Ids SV-DF-001 to SV-DF-036, in id order."""

__all__ = ["DOCKERFILE_RULES", "Check", "DockerfileRule"]
