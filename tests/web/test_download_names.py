"""Issue 15: downloads are named by the portal, sent as attachments with a safe name and the
content type the bytes showed (never the uploader's name or claim)."""
from __future__ import annotations

import pytest

from richwell.models import Role
from richwell.services import admissions
from richwell.web.downloads import safe_filename
from tests.factories import PDF_BYTES, application_values, make_enrollment, make_user, open_admissions, pay

pytestmark = pytest.mark.usefixtures("empty_uploads")


def test_an_uploaded_document_downloads_under_the_portals_name(client, login):
    program = open_admissions()
    hostile = [("ID", 'x.html"; filename*=UTF-8\'\'evil.html', PDF_BYTES),
               ("FORM138_OR_TOR", "../../etc/passwd.pdf", PDF_BYTES),
               ("GOOD_MORAL", "<script>.pdf", PDF_BYTES)]
    admitted = admissions.submit_application(documents=hostile, **application_values(program))
    number = admitted.student.student_number
    login(make_user(Role.ADMISSION))
    names = set()
    for doc in admissions.documents_of(admitted.student.id):
        response = client.get(f"/application-documents/{doc.id}")
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; ")
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "html" not in disposition and "passwd" not in disposition and "script" not in disposition
        names.add(disposition)
    assert names == {f'attachment; filename="application-id-{number}.pdf"',
                     f'attachment; filename="application-form138-or-tor-{number}.pdf"',
                     f'attachment; filename="application-good-moral-{number}.pdf"'}


def test_a_receipt_pdf_downloads_as_an_attachment(client, login):
    enrollment = make_enrollment()
    result = pay(enrollment, "1500.00")
    login(make_user(Role.CASHIER))
    response = client.get(f"/receipts/{result.receipt_number}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="receipt-{result.receipt_number}.pdf"'


@pytest.mark.parametrize("raw,safe", [
    ("x.html", "x.html"), ('a"b;c.pdf', "a_b_c.pdf"), ("../../etc/passwd", "etc_passwd"),
    ("ñame résumé.pdf", "ame_r_sum_.pdf"), ("...", "download"), ("a\r\nSet-Cookie: x=1", "a_Set-Cookie_x_1")])
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe
