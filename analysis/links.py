"""Links between published reports: each report is <area_id>/<area_id>.<format> under one folder."""

from __future__ import annotations

import html
import re

__all__ = ["report_href", "report_link"]

# The ids `workbook build` writes a report for (its file-name rule): anything else gets no link.
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def report_href(area_id: object, fmt: str = "html") -> str | None:
    """Relative address of an area's report from another report's folder, or None for an id the
    build would not publish under its own name (``../derby/derby.html``). The PDF renderer turns
    such a link into the same report's PDF (analysis/templates/typst/workbook.lua)."""
    key = str(area_id) if area_id is not None else ""
    if not _SLUG.fullmatch(key):
        return None
    return f"../{key}/{key}.{fmt}"


def report_link(area_id: object, name: str) -> str:
    """HTML for ``name`` (escaped) linking to the area's report; the escaped name alone if none."""
    href = report_href(area_id)
    text = html.escape(name)
    return f'<a href="{html.escape(href, quote=True)}">{text}</a>' if href else text
