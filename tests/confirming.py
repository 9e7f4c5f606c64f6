"""Posting a costly action the way a person does: the first post (no token) answers the
confirmation page, whose form carries the token; posting it again does the action."""
from __future__ import annotations

import re

TOKEN = re.compile(r'name="confirm" value="([0-9a-f]{40})"')


def confirm_token(client, url: str, data: dict | None = None) -> str:
    """The token the confirmation page of this post offers (the post itself changes nothing)."""
    response = client.post(url, data=data or {})
    assert response.status_code == 400, response.status_code
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, "no confirmation page"
    return match.group(1)


def confirmed_post(client, url: str, data: dict | None = None, **kwargs):
    """Post `data` to `url` as confirmed through the dialog (or the no-JS page)."""
    token = confirm_token(client, url, data)
    return client.post(url, data={**(data or {}), "confirm": token}, **kwargs)
