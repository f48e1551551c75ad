"""policy stage: policy files, exceptions, VEX, base image detection and the verdict."""

from sievert.policy.base_image import detect_base
from sievert.policy.context import BaseImage
from sievert.policy.document import PolicyDocument
from sievert.policy.evaluate import apply_policy, evaluate
from sievert.policy.loader import load_policy, parse_policy
from sievert.policy.vex import VexDocument, load_vex

__all__ = [
    "BaseImage",
    "PolicyDocument",
    "VexDocument",
    "apply_policy",
    "detect_base",
    "evaluate",
    "load_policy",
    "load_vex",
    "parse_policy",
]
