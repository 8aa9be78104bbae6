"""A recording fake of the Blob service operations the replicator uses, on 127.0.0.1.

Azurite rejects Put Blob From URL / Put Block From URL from a non-Azurite source, so the
server-side copy is exercised here: like Azure, this server fetches the source URL itself (the
presigned S3 URL of moto in server mode, with the requested range), hashes what it received,
checks ``x-ms-source-content-md5`` and stores only size, MD5 and properties, never the bytes.
Every request is recorded; faults (status codes with Retry-After, a corrupted copy, a hook run
before an operation) are injected per operation. Overwrites and deletes keep the previous
state as a version, as blob versioning does.

Run standalone for the benchmark: ``python -m tests.object_replication.fake_blob PORT``.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

import urllib3

CHUNK = 1024 * 1024


@dataclass
class Blob:
    size: int
    md5: str | None
    content_type: str
    metadata: dict[str, str]


@dataclass
class Recorded:
    op: str
    method: str
    name: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Fault:
    status: int
    code: str = ""
    retry_after: str | None = None


@dataclass
class State:
    blobs: dict[str, Blob] = field(default_factory=dict)
    versions: dict[str, list[Blob]] = field(default_factory=dict)
    uncommitted: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)
    records: list[Recorded] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    hooks: dict[str, list[Callable[[Recorded], None]]] = field(default_factory=dict)
    corrupt_next: int = 0
    expected_token: str | None = None
    fetched_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ops(self, op: str) -> list[Recorded]:
        return [r for r in self.records if r.op == op]


def _operation(method: str, query: dict[str, str], headers: dict[str, str]) -> str:
    comp = query.get("comp")
    if method == "GET" and query.get("restype") == "container":
        return "list"
    if method == "PUT" and query.get("restype") == "container":
        return "create_container"
    if method == "HEAD":
        return "properties"
    if method == "DELETE":
        return "delete"
    if method == "GET" and comp == "blocklist":
        return "get_blocklist"
    if method == "PUT" and comp == "blocklist":
        return "put_blocklist"
    if method == "PUT" and comp == "block":
        return "put_block"
    if method == "PUT" and comp == "metadata":
        return "set_metadata"
    if method == "PUT" and "x-ms-copy-source" in headers:
        return "put_blob_from_url"
    if method == "PUT" and "x-ms-blob-type" in headers and not comp:
        return "put_blob"
    return f"{method} {comp}"


def _fetch(url: str, start: int | None, end: int | None, state: State) -> tuple[int, str]:
    """Read the source like Azure would: streamed, hashed, counted, not kept."""
    headers = {"Range": f"bytes={start}-{end}"} if start is not None else {}
    response = urllib3.request("GET", url, headers=headers, preload_content=False)
    if response.status not in (200, 206):
        response.release_conn()
        raise OSError(f"source answered {response.status}")
    digest, size = hashlib.md5(), 0
    for chunk in response.stream(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    response.release_conn()
    with state.lock:
        state.fetched_bytes += size
    return size, base64.b64encode(digest.digest()).decode()


class Handler(BaseHTTPRequestHandler):
    server: FakeBlobServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, retry_after: str | None = None) -> None:
        body = f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
        headers = {"x-ms-error-code": code}
        if retry_after:
            headers["Retry-After"] = retry_after
        self._reply(status, body.encode() if self.command != "HEAD" else b"", headers)

    def _handle(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        # /<account>/<container>[/<blob name>]
        parts = unquote(url.path).split("/", 3)
        name = parts[3] if len(parts) > 3 else ""
        op = _operation(self.command, query, headers)
        record = Recorded(op, self.command, name, query, headers, body)
        with state.lock:
            state.records.append(record)
            fault = state.faults.get(op, []).pop(0) if state.faults.get(op) else None
            hooks = list(state.hooks.get(op, []))
        if (
            state.expected_token
            and headers.get("authorization") != f"Bearer {state.expected_token}"
        ):
            return self._error(403, "AuthenticationFailed")
        for hook in hooks:
            hook(record)
        if fault:
            return self._error(fault.status, fault.code, fault.retry_after)
        getattr(self, "_" + op.replace(" ", "_"), self._unknown)(state, name, query, headers, body)

    do_GET = do_PUT = do_HEAD = do_DELETE = _handle

    def _unknown(self, *args: Any) -> None:
        self._error(400, "UnsupportedOperation")

    def _create_container(self, *args: Any) -> None:
        self._reply(201)

    def _keep_version(self, state: State, name: str) -> None:
        if name in state.blobs:
            state.versions.setdefault(name, []).append(state.blobs[name])

    def _store(self, state: State, name: str, blob: Blob) -> None:
        with state.lock:
            if state.corrupt_next:
                state.corrupt_next -= 1
                blob = Blob(blob.size + 1, blob.md5, blob.content_type, blob.metadata)
            self._keep_version(state, name)
            state.blobs[name] = blob

    @staticmethod
    def _metadata(headers: dict[str, str]) -> dict[str, str]:
        return {k[10:]: v for k, v in headers.items() if k.startswith("x-ms-meta-")}

    def _put_blob_from_url(
        self, state: State, name: str, q: Any, headers: dict[str, str], b: Any
    ) -> None:
        try:
            size, md5 = _fetch(headers["x-ms-copy-source"], None, None, state)
        except OSError:
            return self._error(404, "CannotVerifyCopySource")
        expected = headers.get("x-ms-source-content-md5")
        if expected and expected != md5:
            return self._error(400, "Md5Mismatch")
        content_type = headers.get("x-ms-blob-content-type", "application/octet-stream")
        self._store(state, name, Blob(size, md5, content_type, self._metadata(headers)))
        self._reply(201, headers={"Content-MD5": md5})

    def _put_blob(
        self, state: State, name: str, q: Any, headers: dict[str, str], body: bytes
    ) -> None:
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        content_type = headers.get("x-ms-blob-content-type", "application/octet-stream")
        self._store(state, name, Blob(len(body), md5, content_type, self._metadata(headers)))
        self._reply(201, headers={"Content-MD5": md5})

    def _put_block(
        self, state: State, name: str, q: dict[str, str], headers: dict[str, str], b: Any
    ) -> None:
        start, end = headers["x-ms-source-range"].removeprefix("bytes=").split("-")
        try:
            size, md5 = _fetch(headers["x-ms-copy-source"], int(start), int(end), state)
        except OSError:
            return self._error(404, "CannotVerifyCopySource")
        with state.lock:
            state.uncommitted.setdefault(name, {})[q["blockid"]] = (size, md5)
        self._reply(201, headers={"Content-MD5": md5})

    def _get_blocklist(self, state: State, name: str, *args: Any) -> None:
        blocks = state.uncommitted.get(name)
        if blocks is None and name not in state.blobs:
            return self._error(404, "BlobNotFound")
        xml = "".join(
            f"<Block><Name>{i}</Name><Size>{s}</Size></Block>"
            for i, (s, _) in (blocks or {}).items()
        )
        body = (
            "<?xml version='1.0'?><BlockList><CommittedBlocks/>"
            f"<UncommittedBlocks>{xml}</UncommittedBlocks></BlockList>"
        )
        self._reply(200, body.encode(), {"Content-Type": "application/xml"})

    def _put_blocklist(
        self, state: State, name: str, q: Any, headers: dict[str, str], body: bytes
    ) -> None:
        import xml.etree.ElementTree as ET

        ids = [e.text or "" for e in ET.fromstring(body)]
        staged = state.uncommitted.get(name, {})
        if any(i not in staged for i in ids):
            return self._error(400, "InvalidBlockList")
        size = sum(staged[i][0] for i in ids)
        content_type = headers.get("x-ms-blob-content-type", "application/octet-stream")
        md5 = headers.get("x-ms-blob-content-md5")
        self._store(state, name, Blob(size, md5, content_type, self._metadata(headers)))
        with state.lock:
            state.uncommitted.pop(name, None)
        self._reply(201)

    def _properties(self, state: State, name: str, *args: Any) -> None:
        blob = state.blobs.get(name)
        if blob is None:
            return self._error(404, "BlobNotFound")
        headers = {"Content-Type": blob.content_type, "x-ms-blob-type": "BlockBlob"}
        if blob.md5:
            headers["Content-MD5"] = blob.md5
        headers.update({f"x-ms-meta-{k}": v for k, v in blob.metadata.items()})
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(blob.size))
        self.end_headers()

    def _set_metadata(
        self, state: State, name: str, q: Any, headers: dict[str, str], b: Any
    ) -> None:
        blob = state.blobs.get(name)
        if blob is None:
            return self._error(404, "BlobNotFound")
        self._store(
            state, name, Blob(blob.size, blob.md5, blob.content_type, self._metadata(headers))
        )
        self._reply(200)

    def _delete(self, state: State, name: str, *args: Any) -> None:
        with state.lock:
            if name not in state.blobs:
                return self._error(404, "BlobNotFound")
            self._keep_version(state, name)
            del state.blobs[name]
        self._reply(202)

    def _list(self, state: State, name: str, q: dict[str, str], *args: Any) -> None:
        prefix, marker = q.get("prefix", ""), q.get("marker", "")
        limit = int(q.get("maxresults", "5000"))
        names = sorted(n for n in state.blobs if n.startswith(prefix) and n >= marker)
        page, rest = names[:limit], names[limit:]
        items = []
        for n in page:
            b = state.blobs[n]
            meta = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in b.metadata.items())
            md5 = f"<Content-MD5>{b.md5}</Content-MD5>" if b.md5 else ""
            items.append(
                f"<Blob><Name>{escape(n)}</Name><Properties><Content-Length>{b.size}</Content-Length>"
                f"<Content-Type>{escape(b.content_type)}</Content-Type>{md5}</Properties>"
                f"<Metadata>{meta}</Metadata></Blob>"
            )
        next_marker = escape(rest[0]) if rest else ""
        body = (
            "<?xml version='1.0'?><EnumerationResults><Blobs>"
            + "".join(items)
            + f"</Blobs><NextMarker>{next_marker}</NextMarker></EnumerationResults>"
        )
        self._reply(200, body.encode(), {"Content-Type": "application/xml"})


class FakeBlobServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = State()
        self.thread: threading.Thread | None = None

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/devstoreaccount1"

    def start(self) -> FakeBlobServer:
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def reset(self) -> State:
        self.state = State()
        return self.state


if __name__ == "__main__":  # the benchmark runs it in its own process
    server = FakeBlobServer(int(sys.argv[1]))
    print(server.account_url, flush=True)
    server.serve_forever()
