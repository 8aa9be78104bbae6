"""Azurite (the Blob service emulator), started once per session for every test folder that
needs it (object replication, database dumps): HTTPS with a trustme certificate, OAuth
``basic`` so that it takes the bearer tokens of the keyless exchange."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
AZURITE = ROOT / "node_modules" / ".bin" / "azurite-blob"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Azurite:
    account_url: str
    ca_bundle: str
    account_key: str = (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    )

    def service(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(
            self.account_url,
            credential={"account_name": "devstoreaccount1", "account_key": self.account_key},
            connection_verify=self.ca_bundle,
        )


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    import trustme

    if not AZURITE.exists():
        pytest.fail("Azurite is missing: run `make install` (npm ci installs the pinned azurite)")
    folder = Path(tempfile.mkdtemp(prefix="azurite-"))
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    port = _free_port()
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--location", str(folder / "data"),
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--cert", str(folder / "cert.pem"),
            "--key", str(folder / "key.pem"),
            "--oauth", "basic",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("Azurite did not start")
            time.sleep(0.1)
    try:
        yield Azurite(f"https://127.0.0.1:{port}/devstoreaccount1", str(folder / "ca.pem"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
