"""Following a link or submitting a page-changing form in a browser test.

`click()` returns once the navigation has started, not when the new page's deferred scripts
(htmx, cashier.js, app.js) have run. A step taken in between meets a page that still works
without JavaScript: a form posts plainly, a key goes unhandled, a stubbed `window.print` is
lost with the old page. Real users are slower than that; tests are not, so they wait for the
new page's load event before going on.
"""
from __future__ import annotations

from playwright.sync_api import Locator


def follow(control: Locator) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded."""
    with control.page.expect_navigation(wait_until="load"):
        control.click()
