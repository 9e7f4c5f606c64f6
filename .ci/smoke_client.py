"""The stack smoke test's client (run by .ci/container-smoke): through the proxy, a cashier
signs in and records a payment; the security headers are checked on the way; /metrics needs
the token and shows the payment; an oversized body gets 413 at the proxy; static files are
served by the proxy with a year's cache lifetime.

Usage: smoke_client.py BASE_URL CASHIER_EMAIL PASSWORD STUDENT_ID ENROLLMENT_ID METRICS_TOKEN
"""
from __future__ import annotations

import http.cookiejar
import re
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

base, email, password, student_id, enrollment_id, token = sys.argv[1:7]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # Caddy's local CA for `localhost`
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                     urllib.request.HTTPCookieProcessor(jar))


def call(path: str, data: dict | bytes | None = None, headers: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
    # Flask-WTF checks the Referer on HTTPS (the app knows it is HTTPS through ProxyFix).
    request = urllib.request.Request(base + path, data=body, headers={"Referer": base + "/", **(headers or {})})
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def headers_ok(headers, where: str) -> None:  # an email.message.Message: names match in any case
    csp = headers.get("Content-Security-Policy", "")
    check("frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp,
          f"{where}: CSP without unsafe-inline/unsafe-eval")
    check(headers.get("X-Content-Type-Options") == "nosniff", f"{where}: X-Content-Type-Options")
    check("max-age=" in headers.get("Strict-Transport-Security", ""), f"{where}: HSTS")
    check(headers.get("Cache-Control") == "no-store", f"{where}: Cache-Control no-store")
    check(bool(headers.get("Referrer-Policy")) and bool(headers.get("Permissions-Policy")),
          f"{where}: Referrer-Policy and Permissions-Policy")
    check(bool(headers.get("X-Request-ID")), f"{where}: X-Request-ID")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    check(match is not None, "CSRF token on the page")
    return match.group(1)


status, headers, html = call("/login")
check(status == 200, f"GET /login through the proxy ({status})")
headers_ok(headers, "/login")
status, headers, html = call("/login", {"csrf_token": csrf(html), "identifier": email, "password": password})
check(status == 200 and "Cashier terminal" in html, f"cashier signed in ({status})")

status, headers, html = call(f"/cashier/students/{student_id}?enrollment={enrollment_id}")
check(status == 200, f"student panel ({status})")
headers_ok(headers, "cashier student panel")
key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
check(key is not None, "payment form with its one-time key")
status, headers, html = call(f"/cashier/enrollments/{enrollment_id}/payments",
                             {"csrf_token": csrf(html), "amount": "1500.00", "method": "CASH",
                              "reference_number": "", "idempotency_key": key.group(1)},
                             {"HX-Request": "true", "X-CSRFToken": csrf(html)})
receipt = re.search(r"OR-\d{4}-\d{6}", html)
check(status == 200 and receipt is not None, f"payment recorded ({status}, {receipt.group(0) if receipt else '-'})")
headers_ok(headers, "payment response")
print(f"request id of the payment: {headers.get('X-Request-ID')}")

status, headers, _ = call("/static/js/app.js?v=smoke")
check(status == 200 and "immutable" in headers.get("Cache-Control", ""),
      f"static file from the proxy, long cache ({headers.get('Cache-Control')})")
status, headers, _ = call("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
check(headers.get("Content-Encoding") in {"gzip", "zstd"},
      f"compressed static file ({headers.get('Content-Encoding')})")

status, _, _ = call("/metrics")
check(status == 403, f"/metrics without the token from an unlisted address: {status}")
status, _, text = call("/metrics", headers={"Authorization": f"Bearer {token}"})
payments = re.search(r"^richwell_payments_recorded_total ([0-9.e+]+)$", text, re.M)
check(status == 200 and payments is not None and float(payments.group(1)) >= 1,
      f"/metrics with the token shows the payment ({payments.group(1) if payments else '-'})")

# curl, not urllib: the proxy answers 413 and closes while a client may still be sending.
with tempfile.NamedTemporaryFile(suffix=".bin") as big:
    big.write(b"x" * (21 * 1024 * 1024))
    big.flush()
    code = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                           "-H", "Content-Type: application/octet-stream", "--data-binary", f"@{big.name}",
                           base + "/apply"], capture_output=True, text=True).stdout
check(code == "413", f"a 21 MiB body is refused by the proxy with 413 ({code})")
print("smoke client: all checks passed")
