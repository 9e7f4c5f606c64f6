"""A WSGI app that answers with its worker's pid: which gunicorn worker took a connection."""
from __future__ import annotations

import os


def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
