"""Alt text in notebook outputs: the charts write it into output metadata, the renderers read it."""

from __future__ import annotations

__all__ = ["ALT_KEY", "alt_text_metadata"]

#: A figure output carries its alt text in its output metadata, keyed by the image MIME type,
#: e.g. ``display(fig, metadata={"image/png": {"alt": "Line chart of …"}})``.
ALT_KEY = "alt"


def alt_text_metadata(alt: str, mimetype: str = "image/png") -> dict[str, dict[str, str]]:
    """Output metadata giving a figure its alt text: ``display(fig, metadata=...)``."""
    return {mimetype: {ALT_KEY: alt}}
