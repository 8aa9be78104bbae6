"""Throwaway PostgreSQL 15 clusters (Debian's server binaries) on 127.0.0.1 and free ports.

PostgreSQL refuses to run as root: initdb and pg_ctl run as the ``postgres`` user (runuser) on a
data folder it owns. Password authentication (scram) over TCP, so that the code under test passes
its password the way it does in AWS and Azure (the child's PGPASSWORD, never argv). With
``tls=True`` the cluster also serves TLS with a trustme certificate for ``localhost`` (``cafile``):
the lag probe's standard-library client (recovery_actions.pg_wire) never talks without it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "s3cret-" + uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_reason() -> str | None:
    if not (BIN / "initdb").exists():
        return (
            f"PostgreSQL 15 server binaries missing ({BIN}): apt-get install postgresql-15 "
            "(.ci/run installs it)"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser missing: cannot run PostgreSQL as the postgres user"
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user (installed with postgresql-15)"
    return None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Cluster:
    folder: Path
    port: int
    cafile: str | None = None
    """The CA of the server certificate (for the name ``localhost``), when TLS is on."""

    def dsn(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                          "-w", "stop"]),
            capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def _certificate(folder: Path, data: Path) -> tuple[str, list[str]]:
    """A CA file and the server options of a TLS-serving cluster (certificate for localhost)."""
    import trustme

    ca = trustme.CA()
    cafile = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    issued = ca.issue_cert("localhost")
    for name, pem in (("server.crt", issued.cert_chain_pems[0]), ("server.key",
                      issued.private_key_pem)):  # fmt: skip
        pem.write_to_path(str(data / name))
        if os.geteuid() == 0:
            shutil.chown(data / name, "postgres", "postgres")
        (data / name).chmod(0o600)
    return str(cafile), ["-c ssl=on", "-c ssl_cert_file=server.crt", "-c ssl_key_file=server.key"]


def start_cluster(name: str, *, logical: bool = False, tls: bool = False) -> Cluster:
    folder = Path(tempfile.mkdtemp(prefix=f"pg-{name}-"))
    folder.chmod(0o755)
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    pwfile.chmod(0o600)
    data = folder / "data"
    subprocess.run(
        _as_postgres([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256",
                      f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    options = [
        f"-p {port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={folder}",
        "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
        "-c max_connections=40", "-c shared_buffers=64MB",
        # a re-enabled subscription's apply worker restarts after this (default 5 s)
        "-c wal_retrieve_retry_interval=200ms",
    ]  # fmt: skip
    if logical:
        options += ["-c wal_level=logical", "-c max_replication_slots=8", "-c max_wal_senders=8"]
    cafile = None
    if tls:
        cafile, tls_options = _certificate(folder, data)
        options += tls_options
    result = subprocess.run(
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                      "-t", "30", "-o", " ".join(options), "start"]),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PostgreSQL {name} did not start: {result.stderr} {log[-500:]}")
    return Cluster(folder, port, cafile)
