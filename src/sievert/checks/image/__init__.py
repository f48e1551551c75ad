"""Image checks: IMAGE_RULES and `check_image` over the image config, history and files."""

from sievert.checks.image.checks import CAPTURE_GLOBS, ImageCheckConfig, check_image
from sievert.checks.image.rules import IMAGE_RULES

__all__ = ["CAPTURE_GLOBS", "IMAGE_RULES", "ImageCheckConfig", "check_image"]
