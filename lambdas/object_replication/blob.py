"""The Blob service REST operations the replicator uses, with a bearer token (Entra ID).

Server-side copy: ``put_blob_from_url`` (Put Blob From URL, version 2020-04-08+) and
``put_block_from_url`` + ``put_block_list`` (Put Block From URL, 2018-03-28+): the storage
service fetches the bytes from the source URL itself. The rest is the data path: properties,
listing with metadata, metadata updates (the deferred-delete marker) and deletes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import quote, urlencode

from object_replication.transport import Http, Response

API_VERSION = "2024-11-04"


class AzureError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}" if code else f"{status}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class BlobProperties:
    name: str
    size: int
    content_type: str | None
    content_md5: str | None
    metadata: dict[str, str] = field(default_factory=dict)


def _error(response: Response) -> AzureError:
    code = response.header("x-ms-error-code") or ""
    message = response.body.decode("utf-8", "replace")
    try:
        root = ET.fromstring(response.body)
        code = code or (root.findtext("Code") or "")
        message = root.findtext("Message") or message
    except ET.ParseError:
        pass
    return AzureError(response.status, code, " ".join(message.split())[:300])


class BlobContainer:
    """One container of the DR storage account."""

    def __init__(
        self,
        endpoint: str,
        container: str,
        *,
        token: Callable[[], str],
        http: Http,
    ) -> None:
        self.base = f"{endpoint.rstrip('/')}/{quote(container)}"
        self.token = token
        self.http = http

    def _url(self, name: str, **query: str) -> str:
        url = f"{self.base}/{quote(name, safe='/~')}"
        return f"{url}?{urlencode(query)}" if query else url

    def _call(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        ok: tuple[int, ...] = (200, 201, 202),
        missing_ok: bool = False,
    ) -> Response | None:
        def fresh() -> dict[str, str]:
            return {
                "Authorization": f"Bearer {self.token()}",
                "x-ms-version": API_VERSION,
                "x-ms-date": formatdate(usegmt=True),
                "Content-Length": str(len(body)),
                **(headers or {}),
            }

        response = self.http.request(method, url, headers=fresh, body=body)
        if response.status == 404 and missing_ok:
            return None
        if response.status not in ok:
            raise _error(response)
        return response

    @staticmethod
    def _metadata_headers(metadata: dict[str, str]) -> dict[str, str]:
        return {f"x-ms-meta-{k}": v for k, v in sorted(metadata.items())}

    def put_blob_from_url(
        self,
        name: str,
        source_url: str,
        *,
        content_type: str,
        metadata: dict[str, str],
        source_md5: str | None,
    ) -> None:
        headers = {
            "x-ms-blob-type": "BlockBlob",
            "x-ms-copy-source": source_url,
            # Properties come from us (S3's), not from whatever the source answers with.
            "x-ms-copy-source-blob-properties": "false",
            "x-ms-blob-content-type": content_type,
            **self._metadata_headers(metadata),
        }
        if source_md5:
            # The service compares the MD5 of the bytes it fetched with this value.
            headers["x-ms-source-content-md5"] = source_md5
            headers["x-ms-blob-content-md5"] = source_md5
        self._call("PUT", self._url(name), headers, ok=(201,))

    def put_empty(self, name: str, *, content_type: str, metadata: dict[str, str]) -> None:
        headers = {
            "x-ms-blob-type": "BlockBlob",
            "x-ms-blob-content-type": content_type,
            **self._metadata_headers(metadata),
        }
        self._call("PUT", self._url(name), headers, ok=(201,))

    def put_block_from_url(
        self, name: str, block_id: str, source_url: str, *, start: int, end: int
    ) -> None:
        headers = {"x-ms-copy-source": source_url, "x-ms-source-range": f"bytes={start}-{end}"}
        self._call("PUT", self._url(name, comp="block", blockid=block_id), headers, ok=(201,))

    def uncommitted_blocks(self, name: str) -> dict[str, int]:
        """Blocks staged but not committed (an interrupted copy), by id: their size."""
        response = self._call(
            "GET",
            self._url(name, comp="blocklist", blocklisttype="uncommitted"),
            missing_ok=True,
        )
        if response is None:
            return {}
        root = ET.fromstring(response.body)
        return {
            block.findtext("Name") or "": int(block.findtext("Size") or 0)
            for block in root.iterfind("./UncommittedBlocks/Block")
        }

    def put_block_list(
        self,
        name: str,
        block_ids: list[str],
        *,
        content_type: str,
        metadata: dict[str, str],
        content_md5: str | None,
    ) -> None:
        body = (
            '<?xml version="1.0" encoding="utf-8"?><BlockList>'
            + "".join(f"<Uncommitted>{b}</Uncommitted>" for b in block_ids)
            + "</BlockList>"
        ).encode()
        headers = {
            "Content-Type": "application/xml",
            "x-ms-blob-content-type": content_type,
            **self._metadata_headers(metadata),
        }
        if content_md5:
            headers["x-ms-blob-content-md5"] = content_md5
        self._call("PUT", self._url(name, comp="blocklist"), headers, body=body, ok=(201,))

    def properties(self, name: str) -> BlobProperties | None:
        response = self._call("HEAD", self._url(name), missing_ok=True)
        if response is None:
            return None
        h = response.headers
        return BlobProperties(
            name=name,
            size=int(h.get("content-length", "0")),
            content_type=h.get("content-type"),
            content_md5=h.get("content-md5"),
            metadata={
                k[len("x-ms-meta-") :]: v for k, v in h.items() if k.startswith("x-ms-meta-")
            },
        )

    def list(self, prefix: str = "", page_size: int = 5000) -> Iterator[BlobProperties]:
        marker = ""
        while True:
            query = {
                "restype": "container",
                "comp": "list",
                "include": "metadata",
                "maxresults": str(page_size),
            }
            if prefix:
                query["prefix"] = prefix
            if marker:
                query["marker"] = marker
            response = self._call("GET", f"{self.base}?{urlencode(query)}")
            assert response is not None
            root = ET.fromstring(response.body)
            for blob in root.iterfind("./Blobs/Blob"):
                props = blob.find("Properties")
                meta = blob.find("Metadata")
                yield BlobProperties(
                    name=blob.findtext("Name") or "",
                    size=int(props.findtext("Content-Length") or 0) if props is not None else 0,
                    content_type=props.findtext("Content-Type") if props is not None else None,
                    content_md5=(props.findtext("Content-MD5") or None)
                    if props is not None
                    else None,
                    metadata={m.tag.lower(): m.text or "" for m in meta}
                    if meta is not None
                    else {},
                )
            marker = root.findtext("NextMarker") or ""
            if not marker:
                return

    def set_metadata(self, name: str, metadata: dict[str, str]) -> None:
        self._call("PUT", self._url(name, comp="metadata"), self._metadata_headers(metadata))

    def delete(self, name: str) -> None:
        self._call("DELETE", self._url(name), ok=(202,), missing_ok=True)
