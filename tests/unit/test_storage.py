"""File storage: one interface (put, get, exists, delete by key), two backends: a local
folder and S3-compatible object storage, the latter tested against moto's S3 server (a real
HTTP API on a spare port). Receipt PDFs and uploaded documents go through it."""
from __future__ import annotations

import uuid

import pytest

from richwell.extensions import db
from richwell.models import Payment
from richwell.services import admissions
from richwell.services.finance import receipts
from richwell.services.platform import storage
from tests.factories import make_enrollment, pay
from tests.servers import MotoServer


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def bucket(moto, monkeypatch):
    # boto3 reads the credentials from the environment, as a deployment would.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name = f"richwell-{uuid.uuid4().hex[:12]}"
    moto.client().create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["folder", "s3"])
def backend(request, tmp_path):
    if request.param == "folder":
        return storage.FolderStorage(tmp_path / "files", {"receipts": tmp_path / "receipts"})
    name = request.getfixturevalue("bucket")
    return storage.S3Storage(name, endpoint_url=request.getfixturevalue("moto").url, region="us-east-1",
                             prefix="portal")


def test_put_get_exists_delete(backend):
    key = "documents/2026/scan-1.pdf"
    assert not backend.exists(key)
    with pytest.raises(storage.StoredFileMissing):
        backend.get(key)
    backend.put(key, b"%PDF-1 first", "application/pdf")
    assert backend.exists(key) and backend.get(key) == b"%PDF-1 first"
    backend.put(key, b"%PDF-1 second")  # replaced whole
    assert backend.get(key) == b"%PDF-1 second"
    backend.delete(key)
    assert not backend.exists(key)
    backend.delete(key)  # deleting what is not there is harmless


@pytest.mark.parametrize("key", ["", "receipts", "/etc/passwd", "receipts/../../x", "receipts/./x",
                                 "uploads/.hidden", "uploads/a b.pdf", "uploads\\x.pdf", "uploads//x.pdf"])
def test_keys_that_could_leave_their_area_are_refused(key):
    with pytest.raises(ValueError):
        storage.check_key(key)


def test_the_folder_backend_keeps_the_configured_folders(app, tmp_path):
    store = storage.from_config({**app.config, "STORAGE_FOLDER": str(tmp_path)})
    assert isinstance(store, storage.FolderStorage)
    assert store.path("receipts/2026/OR-2026-000001.pdf").parent.parent == \
        storage.Path(app.config["RECEIPT_FOLDER"])
    assert store.path("uploads/abc.pdf").parent == storage.Path(app.config["UPLOAD_FOLDER"])
    assert store.path("documents/x.pdf") == tmp_path / "documents" / "x.pdf"


def test_s3_settings_are_checked():
    with pytest.raises(ValueError):
        storage.from_config({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""})
    with pytest.raises(ValueError):
        storage.from_config({"STORAGE_BACKEND": "ftp"})


@pytest.fixture
def on_s3(app, moto, bucket):
    """The session's app storing its files in the emulator's bucket for one test."""
    saved = {k: app.config.get(k) for k in ("STORAGE_BACKEND", "S3_ENDPOINT_URL", "S3_BUCKET", "S3_REGION")}
    app.config.update(STORAGE_BACKEND="s3", S3_ENDPOINT_URL=moto.url, S3_BUCKET=bucket, S3_REGION="us-east-1")
    storage.reset()
    try:
        yield moto.client(), bucket
    finally:
        app.config.update(saved)
        storage.reset()


def _objects(client, bucket) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_receipt_pdfs_live_in_the_bucket_and_come_back_when_lost(on_s3, as_role):
    client, bucket = on_s3
    result = pay(make_enrollment(), "250.00")  # the queue writes the PDF after the commit
    payment = db.session.get(Payment, result.payment_id)
    key = receipts.pdf_key(payment.receipt_pdf_path)
    assert _objects(client, bucket) == [key]
    client.delete_object(Bucket=bucket, Key=key)  # lost: another node, an emptied bucket
    web, _ = as_role("cashier")
    response = web.get(f"/receipts/{result.receipt_number}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert _objects(client, bucket) == [key]


def test_uploaded_documents_live_in_the_bucket(on_s3, login, monkeypatch):
    from tests.factories.admissions import application_values, documents, open_admissions

    client, bucket = on_s3
    admitted = admissions.submit_application(documents=documents(), **application_values(open_admissions()))
    docs = admissions.documents_of(admitted.student.id)
    assert _objects(client, bucket) == sorted(f"uploads/{d.stored_name}" for d in docs)
    web = login(admitted.student.user)
    response = web.get(f"/application-documents/{docs[1].id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    # A failed transaction leaves no object behind.
    before = _objects(client, bucket)

    def counter_gone(year):
        raise RuntimeError("the transaction fails after the files were stored")

    monkeypatch.setattr("richwell.services.admissions.commands.next_student_number", counter_gone)
    with pytest.raises(RuntimeError):
        admissions.submit_application(documents=documents(), **application_values(open_admissions()))
    assert _objects(client, bucket) == before
