"""Irreversible or costly actions ask first: a post without the dialog's token changes nothing
and answers the confirmation page (the no-JS path); a token for another target or another user
is refused the same way."""
from __future__ import annotations

from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Payment, Term, User
from tests.confirming import TOKEN, confirm_token, confirmed_post
from tests.factories import make_enrollment, make_term, make_user, pay

HX = {"HX-Request": "true"}


def test_deactivating_without_the_token_changes_nothing_and_asks_with_the_consequence(as_role):
    client, _admin = as_role("admin")
    user = make_user(role="cashier", first_name="Rosa", last_name="Lim")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'data-confirm-title="Deactivate Rosa Lim?"' in page and "signed out everywhere" in page
    response = client.post(f"/admin/users/{user.id}/deactivate")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Deactivate Rosa Lim?" in html and "signed out everywhere" in html
    assert db.session.get(User, user.id).is_active_account
    assert confirmed_post(client, f"/admin/users/{user.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_active_account


def test_a_token_is_bound_to_its_target_and_its_user(as_role):
    client, _ = as_role("admin")
    first, second = make_user(role="cashier"), make_user(role="cashier")
    token_for_first = confirm_token(client, f"/admin/users/{first.id}/deactivate")
    assert client.post(f"/admin/users/{second.id}/deactivate", data={"confirm": token_for_first}).status_code == 400
    other_admin, _ = as_role("admin")
    assert other_admin.post(f"/admin/users/{first.id}/deactivate",
                            data={"confirm": token_for_first}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, first.id).is_active_account and db.session.get(User, second.id).is_active_account


def test_an_htmx_post_without_the_token_is_refused_in_place(as_role):
    client, _ = as_role("admin")
    user = make_user(role="cashier")
    response = client.post(f"/admin/users/{user.id}/deactivate", headers=HX)
    assert response.status_code == 400 and "Confirm in the dialog first" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


def test_the_confirmation_page_reposts_what_was_typed(as_role):
    client, cashier = as_role("cashier")
    result = pay(make_enrollment(commitment="1000.00"), "1000.00", cashier=cashier)  # their own: reversed alone
    url = f"/receipts/{result.receipt_number}/reverse"
    page = client.post(url, data={"reason": "Typed the wrong amount"}).get_data(as_text=True)
    assert f"Reverse receipt {result.receipt_number}?" in page and "cannot be undone" in page
    assert 'name="reason" value="Typed the wrong amount"' in page and TOKEN.search(page)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_making_a_term_current_asks_first(as_role):
    client, _ = as_role("registrar")
    old = make_term(current=True)
    new = make_term(current=False, academic_year="2027-2028")
    page = client.get("/registrar/terms").get_data(as_text=True)
    assert f"Make {new.name} the current term?" in page
    assert client.post(f"/registrar/terms/{new.id}/make-current").status_code == 400
    db.session.expire_all()
    assert db.session.get(Term, old.id).is_current and not db.session.get(Term, new.id).is_current
