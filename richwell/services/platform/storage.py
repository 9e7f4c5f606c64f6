"""Stored files (uploaded documents, receipt PDFs, generated papers) behind one small interface:
`put`, `get`, `exists` and `delete` by key, on one of two backends chosen by STORAGE_BACKEND.

- `folder` (the default; development and a single web node): files on the local disk.
- `s3`: S3-compatible object storage (MinIO, Ceph, AWS) through boto3, so that every web node
  and the queue consumer see the same files. Settings: S3_BUCKET, S3_ENDPOINT_URL (unset for
  AWS), S3_REGION, S3_PREFIX; the credentials come from boto3's usual environment variables
  (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the node's role.

A key is a relative path whose first segment names the area: `uploads/<random>.pdf`,
`receipts/2026/OR-2026-000001.pdf`, `documents/...`. With the folder backend the areas
`uploads` and `receipts` keep their folders (UPLOAD_FOLDER, RECEIPT_FOLDER) and any other area
lives under STORAGE_FOLDER/<area>; with S3 the key (after S3_PREFIX) is the object's key.

Writes are whole and atomic on both backends (a reader never sees half a file), and `put` of
the same key again replaces the file, so the writers (the receipt task, the on-demand
regeneration) may run twice or at once.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

#: One path segment of a key: letters, digits, dot, dash, underscore; never "." or "..".
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")
_EXTENSION = "richwell.storage"


class StoredFileMissing(LookupError):
    """No file is stored under that key."""


class StorageBackend(Protocol):
    """What every backend does; keys are already checked by `check_key`."""

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    """The key if it is a safe relative path of at least two segments; ValueError otherwise
    (a stored name never comes from the user, but a bug must not write outside the area)."""
    parts = key.split("/") if isinstance(key, str) else []
    if len(parts) < 2 or not all(_SEGMENT.match(part) and part not in {".", ".."} for part in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class FolderStorage:
    """Files in local folders: one per area (named ones from the config, others under a root)."""

    def __init__(self, root: Path, areas: dict[str, Path] | None = None) -> None:
        self.root = Path(root)
        self.areas = {name: Path(folder) for name, folder in (areas or {}).items()}

    def path(self, key: str) -> Path:
        """Where the file of `key` lives on this node's disk."""
        area, rest = check_key(key).split("/", 1)
        return self.areas.get(area, self.root / area) / rest

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file in the same folder, renamed into place: atomic on one filesystem.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StoredFileMissing(key) from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in one bucket of an S3-compatible service (MinIO, Ceph, AWS)."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 prefix: str = "", client: Any = None) -> None:
        if not bucket:
            raise ValueError("S3_BUCKET must be set when STORAGE_BACKEND is s3")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            import boto3
            from botocore.config import Config

            # Short timeouts and a few retries: a slow store must not hold a web worker for minutes.
            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                                  config=Config(connect_timeout=5, read_timeout=30,
                                                retries={"max_attempts": 3, "mode": "standard"}))
        self.client = client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _missing(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in {"NoSuchKey", "404", "NotFound"} or status == 404

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                raise StoredFileMissing(key) from exc
            raise
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def from_config(config: dict[str, Any] | Any) -> StorageBackend:
    """The backend the settings describe (STORAGE_BACKEND=folder|s3)."""
    kind = str(config.get("STORAGE_BACKEND") or "folder").lower()
    if kind == "folder":
        return FolderStorage(Path(config.get("STORAGE_FOLDER") or "instance/files"),
                             {"uploads": Path(config["UPLOAD_FOLDER"]), "receipts": Path(config["RECEIPT_FOLDER"])})
    if kind == "s3":
        return S3Storage(config.get("S3_BUCKET") or "", endpoint_url=config.get("S3_ENDPOINT_URL"),
                         region=config.get("S3_REGION"), prefix=config.get("S3_PREFIX") or "")
    raise ValueError(f"STORAGE_BACKEND must be folder or s3, not {kind!r}")


def backend() -> StorageBackend:
    """This app's backend, built once from its config (a test may change the config and call
    `reset()`)."""
    extensions = current_app.extensions
    store = extensions.get(_EXTENSION)
    if store is None:
        store = extensions[_EXTENSION] = from_config(current_app.config)
    return store


def reset() -> None:
    """Forget the built backend (after the storage settings changed)."""
    current_app.extensions.pop(_EXTENSION, None)


def put(key: str, data: bytes, content_type: str | None = None) -> None:
    """Store `data` under `key`, replacing what was there (atomically)."""
    backend().put(check_key(key), bytes(data), content_type)


def get(key: str) -> bytes:
    """The bytes stored under `key`; StoredFileMissing when there are none."""
    return backend().get(check_key(key))


def exists(key: str) -> bool:
    """True when a file is stored under `key`."""
    return backend().exists(check_key(key))


def delete(key: str) -> None:
    """Remove the file under `key` (nothing happens if there is none)."""
    backend().delete(check_key(key))
