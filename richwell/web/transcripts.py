"""Transcript pages shared by the registrar and the student blueprints: the printable HTML
and the PDF of an issued transcript, with the verification code and its QR."""
from __future__ import annotations

from flask import render_template, url_for

from richwell.models import Transcript
from richwell.services import grades
from richwell.services.platform import links
from richwell.web.papers import pdf_response


def verify_url(code: str) -> str:
    """The public verification address printed in the QR (the public page owns /verify/<code>)."""
    return links.public_url(url_for("public.verify", code=code))


def transcript_page(transcript: Transcript, pdf_url: str, back_url: str):
    url = verify_url(transcript.code)
    return render_template("transcripts/issued.html", transcript=transcript, record=transcript.snapshot,
                           verify_url=url, qr=grades.qr_svg(url), pdf_url=pdf_url, back_url=back_url,
                           prepared_by=grades.prepared_by_name(transcript))


def transcript_pdf(transcript: Transcript):
    body = grades.transcript_pdf(transcript, verify_url(transcript.code))
    return pdf_response(body, f"transcript-{transcript.snapshot['student']['number']}-{transcript.id}.pdf")
