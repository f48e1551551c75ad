"""Catalogers: turn an image's files into packages. CATALOGERS lists every plug-in."""
