"""The verify step's HTTPS probe against a real local TLS server (127.0.0.1, a certificate made
for the application's name): SNI and Host carry the name, the certificate is checked for it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from recovery_actions.verify_step import probe_https

NAME = "app.fdr.test"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, list[bytes]]]:
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={NAME}",
         "-addext", f"subjectAltName=DNS:{NAME}"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # accept() wakes up to notice the end of the tests
    port = listener.getsockname()[1]
    requests: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    requests.append(tls.recv(4096))
                    tls.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            except (OSError, ssl.SSLError):
                pass  # a client that refused our certificate

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, str(cert), requests
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_probe_reads_the_status_with_sni_and_host_of_the_record(tls_server):
    port, cafile, requests = tls_server
    assert probe_https("127.0.0.1", NAME, port, "/healthz", cafile=cafile) == 204
    assert requests[-1].startswith(b"GET /healthz HTTP/1.1\r\nHost: app.fdr.test\r\n")


def test_probe_refuses_a_certificate_for_another_name(tls_server):
    port, cafile, _ = tls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        probe_https("127.0.0.1", "other.fdr.test", port, "/healthz", cafile=cafile)


def test_probe_against_a_closed_port_is_an_oserror():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError):
        probe_https("127.0.0.1", NAME, port, "/healthz", timeout=1)
