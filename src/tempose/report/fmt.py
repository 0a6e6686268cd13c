"""Number formatting shared by every report writer (one place, so Markdown, HTML and tests agree).

PCK is printed in percent as the thesis did: one decimal from 10 % up, two decimals below 10 %
(three significant digits between 1 and 10 %, e.g. ``6.95``; ``0.67`` below 1 %). Missing values
print as an em dash; text cells print verbatim.
"""

from __future__ import annotations

import math

MISSING = "—"

Value = float | int | str | None


def is_missing(value: Value) -> bool:
    """None and NaN are missing; text (including the empty string) is not."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: float) -> str:
    """A percentage (already ×100): ``95.7``, ``6.95``, ``0.67``."""
    text = f"{value:.2f}"
    return text if abs(float(text)) < 10 else f"{value:.1f}"


def sig3(value: float) -> str:
    """Three significant digits without scientific notation: ``0.392``, ``14.2``, ``1234``."""
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{digits}f}"
    if digits and math.floor(math.log10(abs(float(text)))) > math.floor(math.log10(abs(value))):
        text = f"{value:.{digits - 1}f}"  # 9.996 rounds up to 10.0, not 10.00
    return text


FORMATS = {
    "pct": pct,
    "px": lambda v: f"{v:.2f}",
    "ms": sig3,
    "int": lambda v: f"{int(round(v)):,}",
    "text": str,
}


def format_value(value: Value, kind: str) -> str:
    """Format one table cell of the given kind (``pct``, ``px``, ``ms``, ``int`` or ``text``)."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return MISSING
    return FORMATS[kind](value)
