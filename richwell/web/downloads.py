"""Files that leave the portal: named by the portal, always as attachments."""
from __future__ import annotations

import re

from flask import Response

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, fallback: str = "download") -> str:
    """`name` reduced to ASCII letters, digits, dot, dash and underscore (no path, no quotes, no
    header tricks), at most 100 characters, never starting with a dot."""
    cleaned = _UNSAFE.sub("_", name).strip("._")[:100]
    return cleaned or fallback


def as_attachment(response: Response, filename: str, content_type: str | None = None) -> Response:
    """Mark `response` as a download under the portal's own (made safe) file name, with the
    content type we vouch for; a browser never renders it as a page of this site."""
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    if content_type:
        response.headers["Content-Type"] = content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
