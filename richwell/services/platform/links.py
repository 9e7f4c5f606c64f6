"""Absolute links that leave the page (QR codes, printed verification addresses, mail, the
API's next/previous pages): always built on the PUBLIC_BASE_URL setting, never on the
request's Host header, which any client can set (and which reads `http://` behind a TLS proxy)."""
from __future__ import annotations

from flask import current_app


def public_base_url() -> str:
    """The portal's public address without a trailing slash, e.g. https://portal.richwell.edu.ph."""
    base: str = current_app.config["PUBLIC_BASE_URL"]
    return base.rstrip("/")


def public_url(path: str) -> str:
    """`path` (a site path starting with /) as an absolute link on the public address."""
    if not path.startswith("/"):
        path = "/" + path
    return public_base_url() + path
