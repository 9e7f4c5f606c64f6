"""The one safe-redirect rule for every `next` the portal follows."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

# How far a `next` may be from a plain path before it is not worth reading.
_NEXT_MAX = 2000


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in text)


def safe_next(target: str | None) -> str | None:
    """A local path to go to after an action, or None when `target` could leave the site.

    Browsers repair URLs before following them (they drop tabs and newlines, read `\\` as
    `/`), so a value is accepted only when it is a plain path both as written and once
    percent-decoded: starts with one `/`, no scheme or host, no backslash, no control
    character anywhere (`/%09/evil.com` would become `//evil.com`)."""
    if not target or len(target) > _NEXT_MAX:
        return None
    for text in (target, unquote(target)):
        if "\\" in text or _has_control_characters(text):
            return None
        if not text.startswith("/") or text.startswith("//"):
            return None
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return None
    return target
