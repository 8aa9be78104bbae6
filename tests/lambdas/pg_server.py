"""A throw-away PostgreSQL 15 cluster for the canary tests: Debian's binaries run as the
``postgres`` user (PostgreSQL refuses root) on a folder it owns, listening on 127.0.0.1 at a free
port with TLS on (a trustme certificate for ``localhost``) and scram-sha-256 for TCP logins.

About two seconds to start (fsync off: the data is thrown away)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme

BIN = Path("/usr/lib/postgresql/15/bin")
USER = "postgres"
HOST_NAME = "localhost"  # the name in the server certificate


def available() -> str | None:
    """Why the cluster cannot start here, or None."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL 15 binaries not found in {BIN} (apt-get install postgresql-15)"
    if shutil.which("runuser") is None:
        return "runuser not found"
    try:
        import pwd

        pwd.getpwnam(USER)
    except KeyError:
        return f"no {USER} user"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    cafile: str

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _as_postgres(self, *command: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["runuser", "-u", USER, "--", *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(command[:1])} failed: {done.stderr.strip()}")
        return done

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the cluster's Unix socket."""
        return self._as_postgres(
            str(BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.folder),
            "-p", str(self.port), "-d", database, "-At", "-c", statement,
        ).stdout  # fmt: skip

    def start(self, ca: trustme.CA) -> None:
        self._as_postgres(
            str(BIN / "initdb"), "-D", str(self.data), "-U", USER, "--auth-local=trust",
            "--auth-host=reject", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        certificate = ca.issue_cert(HOST_NAME)
        certificate.cert_chain_pems[0].write_to_path(str(self.data / "server.crt"))
        certificate.private_key_pem.write_to_path(str(self.data / "server.key"))
        for name in ("server.crt", "server.key"):
            shutil.chown(self.data / name, USER, USER)
            os.chmod(self.data / name, 0o600)
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 reject\n"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "password_encryption = 'scram-sha-256'\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\n"
            )
        self._as_postgres(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """A running cluster; the caller stops it (``Cluster.stop`` also removes its folder)."""
    # Not under pytest's tmp folder: its parents are private to root, and postgres must reach it.
    folder = Path(tempfile.mkdtemp(prefix="fdr-canary-pg-", dir="/tmp"))
    os.chmod(folder, 0o755)
    shutil.chown(folder, USER, USER)
    ca = trustme.CA()
    cafile = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    cluster = Cluster(folder, _free_port(), str(cafile))
    try:
        cluster.start(ca)
    except BaseException:
        cluster.stop()
        raise
    return cluster
