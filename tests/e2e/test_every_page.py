"""Every page every role visits, in a real browser, on the demo data: no console errors, no
serious or critical axe-core violation (desktop and phone), and on a phone (390×844) no
student page and no public application page has anything wider than the screen.

Pages are found the way a person finds them: the role's home page, its menu and home tiles,
then the links on those pages (one level deeper), one page per URL shape (ids replaced by N).
axe-core is vendored in static/vendor/axe-core/ and injected here only; no page serves it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from richwell import seed
from tests.factories import DEFAULT_PASSWORD

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe-4.14.1.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MAX_PAGES = 45  # per role and viewport: enough for every page shape the demo data reaches

# Links a crawl must not follow: they change state, sign out, download files or leave the portal.
SKIP = re.compile(r"(/logout|/impersonat|\.pdf$|/pdf$|\.csv$|\.xlsx$|/download|/export|/static/|/api/|"
                  r"/application-documents/|/apply/done)")

# Elements wider than the viewport, unless a scrolling or clipping ancestor holds them (a
# table inside a scroll region is fine; the page itself scrolling sideways is not).
OVERFLOW_JS = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const held = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.position === 'fixed') continue;
    if ((r.right > limit || r.width > limit) && r.left > -50 && !held(el)) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.')
                                                                  : '') +
                ' right=' + Math.round(r.right) + ' width=' + Math.round(r.width));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
          wide: wide.slice(0, 8)};
}"""

# Controls a thumb presses on a phone must be at least 44 px tall (links inside running text
# are exempt, as in WCAG 2.5.5; check boxes and radios are pressed through their labels).
TAP_JS = """() => {
  const small = [];
  const controls = document.querySelectorAll('main button, main .btn, main select, main summary, ' +
    'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), .topbar button, .topbar .bell');
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    const text = (el.innerText || el.value || el.name || '').trim().slice(0, 30);
    if (r.height < 43.5) small.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + text + '" ' +
                                   Math.round(r.height) + 'px');
  }
  return small.slice(0, 8);
}"""

# Stored status codes must reach people as words (services/platform/wording.py). The audit log
# shows stored before/after values on purpose.
RAW_STATUS = re.compile(r"\b(ACTIVE|DONE|LOA|QUEUED|RUNNING|WITHDRAWN|GCASH|BANK_TRANSFER|DROPPED|REJECTED|"
                        r"DISPUTED|FINALIZED|SUBMITTED|Loa|Gcash)\b")
RAW_STATUS_ALLOWED = re.compile(r"^/admin/audit")

AXE_JS = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _links(page, base: str) -> list[str]:
    # getAttribute: an SVG chart's <a> has no string .href (it is an SVGAnimatedString).
    hrefs = page.eval_on_selector_all("a[href]",
                                      "els => els.map(a => new URL(a.getAttribute('href'), document.baseURI).href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if not href.startswith(base) or parts.fragment and parts.path == urlsplit(page.url).path:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if SKIP.search(parts.path) or re.search(r"(^|&)format=", parts.query):
            continue
        found.append(path)
    return found


class Visit:
    """One browser context walking a role's pages and collecting what went wrong."""

    def __init__(self, browser, base: str, viewport: dict, *, check_width: bool, name: str = "page"):
        self.context = browser.new_context(base_url=base, viewport=viewport, bypass_csp=True)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.base, self.check_width = base, check_width
        self.problems: list[str] = []
        self.visited: list[str] = []
        self._current = ""
        self.page.on("console", lambda msg: msg.type == "error" and self.problems.append(
            f"{self._current}: console error: {msg.text}"))
        self.page.on("pageerror", lambda err: self.problems.append(f"{self._current}: script error: {err}"))
        self.axe = AXE.read_text(encoding="utf-8")
        self.name = name
        self.shots = os.environ.get("RICHWELL_SCREENSHOTS")

    def sign_in(self, identifier: str) -> None:
        self.page.goto("/login")
        self.page.get_by_label("Email or student number").fill(identifier)
        self.page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"{identifier} could not sign in"

    def check(self, path: str) -> list[str]:
        self._current = path
        try:
            response = self.page.goto(path)
        except Exception as error:  # noqa: BLE001 - a download link the pattern above missed
            if "Download is starting" in str(error):
                return []
            raise
        self.page.wait_for_load_state("load")
        self.visited.append(path)
        status = response.status if response else 0
        if status >= 400:
            self.problems.append(f"{path}: answered {status}")
        content_type = response.headers.get("content-type", "") if response else ""
        if self.page.url.endswith(".pdf") or "html" not in content_type:
            return []
        if not RAW_STATUS_ALLOWED.match(path):
            raw = sorted(set(RAW_STATUS.findall(self.page.inner_text("main"))))
            if raw:
                self.problems.append(f"{path}: raw status codes shown: {raw}")
        self.page.add_script_tag(content=self.axe)
        for violation in self.page.evaluate(AXE_JS):
            self.problems.append(f"{path}: axe {violation}")
        if self.check_width:
            width = self.page.evaluate(OVERFLOW_JS)
            if width["scrollWidth"] > width["width"] or width["wide"]:
                self.problems.append(f"{path}: wider than the {width['width']} px screen "
                                     f"(page {width['scrollWidth']} px): {width['wide']}")
            small = self.page.evaluate(TAP_JS)
            if small:
                self.problems.append(f"{path}: tap targets under 44 px: {small}")
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-zA-Z0-9]+", "-", _shape(path)).strip("-") or "root"
            self.page.screenshot(path=f"{self.shots}/{self.name}-{slug}.png",
                                 full_page=os.environ.get("RICHWELL_FULL_PAGE") == "1")
        return _links(self.page, self.base)

    def crawl(self, start: list[str]) -> None:
        seen: set[str] = set()
        queue: list[tuple[str, int]] = [(p, 0) for p in start]
        while queue and len(self.visited) < MAX_PAGES:
            path, depth = queue.pop(0)
            if _shape(path) in seen:
                continue
            seen.add(_shape(path))
            links = self.check(path)
            if depth < 2:
                queue.extend((link, depth + 1) for link in links if _shape(link) not in seen)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def demo(app):
    logins = dict((label, login) for label, login in seed.run(DEFAULT_PASSWORD))
    return logins


ROLES = {
    "student": ("Student", "/student/"),
    "student (grades)": ("Student (grades)", "/student/"),
    "cashier": ("Cashier", "/cashier/"),
    "registrar": ("Registrar", "/registrar/"),
    "head registrar": ("Head registrar", "/registrar/"),
    "admission": ("Admission staff", "/admission/"),
    "professor": ("Professor", "/professor/"),
    "admin": ("Administrator", "/admin/"),
}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_a_role_is_clean(browser, live_server, demo, role, viewport):
    label, home = ROLES[role]
    login = demo.get(label)
    assert login, f"the demo data has no {label} login: {sorted(demo)}"
    student = role.startswith("student")
    visit = Visit(browser, live_server, PHONE if viewport == "phone" else DESKTOP,
                  check_width=student and viewport == "phone", name=f"{role.replace(' ', '_')}-{viewport}")
    try:
        visit.sign_in(login)
        visit.crawl([home, "/notifications/", "/password"])
    finally:
        visit.close()
    assert len(visit.visited) >= 3, visit.visited
    assert not visit.problems, "\n".join(visit.problems) + "\n(pages: " + ", ".join(visit.visited) + ")"


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_public_pages_and_the_application_are_clean(browser, live_server, demo, viewport):
    visit = Visit(browser, live_server, PHONE if viewport == "phone" else DESKTOP, check_width=viewport == "phone",
                  name=f"public-{viewport}")
    try:
        for path in ["/", "/apply", "/login", "/verify", "/no-such-page"]:
            visit._current = path
            visit.check(path)
    finally:
        visit.close()
    problems = [p for p in visit.problems
                if not (p.startswith("/no-such-page: answered 404") or
                        p.startswith("/no-such-page: console error: Failed to load resource"))]
    assert not problems, "\n".join(problems)
