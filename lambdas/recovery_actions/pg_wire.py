"""A minimal PostgreSQL client on the standard library only (socket, ssl, struct, hashlib, hmac):
enough for the verify step's canary write, nothing more.

Why not a driver: the Lambda runtime has none, synth bundles no dependencies (offline, no
Docker), and RDS for PostgreSQL has no Data API (docs/decisions.md compares vendoring pg8000).

What it speaks (frontend/backend protocol 3.0, PostgreSQL docs "Message Flow" and "Message
Formats"):
- TLS always: SSLRequest first, a server that answers ``N`` is refused (the password would go in
  clear). The certificate is verified against ``cafile`` (CERT_REQUIRED) and the host name, TLS
  1.2 or newer.
- authentication: cleartext password (what RDS IAM authentication asks for: the token is the
  password, and TLS is mandatory) and SCRAM-SHA-256 (RFC 5802/7677, without channel binding;
  the password is used as given, without SASLprep, so keep it ASCII). MD5 and everything else are
  refused by name.
- the simple-query protocol: text results, one statement string (it may hold several
  statements). No parameters, so callers quote literals themselves (``quote_literal``).
- ErrorResponse becomes ``PostgresError`` with SQLSTATE, severity, message and detail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct
from dataclasses import dataclass, field

PROTOCOL_3_0 = 196608
SSL_REQUEST_CODE = 80877103
_AUTH_OK, _AUTH_CLEARTEXT, _AUTH_MD5 = 0, 3, 5
_AUTH_SASL, _AUTH_SASL_CONTINUE, _AUTH_SASL_FINAL = 10, 11, 12
SCRAM = "SCRAM-SHA-256"


class ProtocolError(RuntimeError):
    """The server said something this client does not speak (or the connection broke)."""


@dataclass
class PostgresError(RuntimeError):
    """An ErrorResponse: ``sqlstate`` is the five-character code (28P01, 25006, ...)."""

    fields: dict[str, str] = field(default_factory=dict)

    @property
    def sqlstate(self) -> str:
        return self.fields.get("C", "")

    @property
    def message(self) -> str:
        return self.fields.get("M", "")

    def __str__(self) -> str:
        severity = self.fields.get("V") or self.fields.get("S") or "ERROR"
        text = f"{severity} {self.sqlstate}: {self.message}"
        if self.fields.get("D"):
            text += f" ({self.fields['D']})"
        return text


def quote_literal(value: str) -> str:
    """A string literal for the simple-query protocol (standard_conforming_strings is on by
    default since PostgreSQL 9.1: only the quote is doubled). NUL cannot be sent at all."""
    if "\x00" in value:
        raise ValueError("a PostgreSQL string cannot contain NUL")
    return "'" + value.replace("'", "''") + "'"


def _parse_error(body: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in body.split(b"\x00"):
        if part:
            fields[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return fields


def _scram_attributes(message: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in message.split(",") if "=" in item)


class ScramClient:
    """The client side of SCRAM-SHA-256 (no channel binding: ``n,,``)."""

    def __init__(self, password: str, nonce: str | None = None, user: str = "") -> None:
        self.password = password.encode()
        self.nonce = nonce or base64.b64encode(os.urandom(18)).decode()
        # PostgreSQL ignores the SCRAM user name (it authenticates the startup packet's user),
        # so the client sends none; ``user`` exists for the RFC 7677 test vector.
        name = user.replace("=", "=3D").replace(",", "=2C")
        self.first_bare = f"n={name},r={self.nonce}"
        self.server_signature = b""

    def first(self) -> bytes:
        return f"n,,{self.first_bare}".encode()

    def final(self, server_first: str) -> bytes:
        attributes = _scram_attributes(server_first)
        nonce, salt, iterations = attributes.get("r", ""), attributes.get("s"), attributes.get("i")
        if not nonce.startswith(self.nonce) or salt is None or iterations is None:
            raise ProtocolError(f"SCRAM: unexpected server-first-message {server_first!r}")
        salted = hashlib.pbkdf2_hmac(
            "sha256", self.password, base64.b64decode(salt), int(iterations)
        )
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self.first_bare},{server_first},{without_proof}".encode()
        signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.digest(salted, b"Server Key", "sha256")
        self.server_signature = hmac.digest(server_key, auth_message, "sha256")
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final: str) -> None:
        attributes = _scram_attributes(server_final)
        if "e" in attributes:
            raise ProtocolError(f"SCRAM: server error {attributes['e']}")
        if not hmac.compare_digest(
            base64.b64decode(attributes.get("v", "")), self.server_signature
        ):
            raise ProtocolError("SCRAM: the server's signature is wrong (not the server we asked)")


class Connection:
    """One authenticated session. ``query`` runs a simple query and returns the rows of its last
    result set (text values, None for NULL)."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.parameters: dict[str, str] = {}

    # -- framing ---------------------------------------------------------------------------
    def _send(self, kind: bytes, body: bytes) -> None:
        self.sock.sendall(kind + struct.pack("!I", len(body) + 4) + body)

    def _read_exact(self, size: int) -> bytes:
        chunks, missing = [], size
        while missing:
            chunk = self.sock.recv(missing)
            if not chunk:
                raise ProtocolError("the server closed the connection")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _receive(self) -> tuple[bytes, bytes]:
        head = self._read_exact(5)
        kind, length = head[:1], struct.unpack("!I", head[1:])[0]
        return kind, self._read_exact(length - 4)

    # -- authentication ----------------------------------------------------------------------
    def authenticate(self, user: str, database: str, password: str, application_name: str) -> None:
        startup = b"".join(
            f"{key}\x00{value}\x00".encode()
            for key, value in (
                ("user", user),
                ("database", database),
                ("application_name", application_name),
            )
        )
        body = struct.pack("!I", PROTOCOL_3_0) + startup + b"\x00"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        scram: ScramClient | None = None
        while True:
            kind, payload = self._receive()
            if kind == b"E":
                raise PostgresError(_parse_error(payload))
            if kind == b"R":
                code = struct.unpack("!I", payload[:4])[0]
                rest = payload[4:]
                if code == _AUTH_OK:
                    continue
                if code == _AUTH_CLEARTEXT:
                    self._send(b"p", password.encode() + b"\x00")
                elif code == _AUTH_SASL:
                    mechanisms = [m.decode() for m in rest.split(b"\x00") if m]
                    if SCRAM not in mechanisms:
                        raise ProtocolError(f"the server offers only SASL {mechanisms}")
                    scram = ScramClient(password)
                    first = scram.first()
                    self._send(
                        b"p", SCRAM.encode() + b"\x00" + struct.pack("!I", len(first)) + first
                    )
                elif code == _AUTH_SASL_CONTINUE and scram is not None:
                    self._send(b"p", scram.final(rest.decode()))
                elif code == _AUTH_SASL_FINAL and scram is not None:
                    scram.verify(rest.decode())
                else:
                    name = "MD5" if code == _AUTH_MD5 else f"method {code}"
                    raise ProtocolError(f"the server asks for {name} authentication: not supported")
            elif kind == b"S":
                key, value, _ = payload.split(b"\x00", 2)
                self.parameters[key.decode()] = value.decode()
            elif kind == b"Z":
                return
            # K (BackendKeyData) and N (NoticeResponse) need nothing.

    # -- queries -----------------------------------------------------------------------------
    def query(self, sql: str) -> list[tuple[str | None, ...]]:
        self._send(b"Q", sql.encode() + b"\x00")
        rows: list[tuple[str | None, ...]] = []
        error: PostgresError | None = None
        while True:
            kind, payload = self._receive()
            if kind == b"T":
                rows = []  # a new result set: keep the last one only
            elif kind == b"D":
                rows.append(_data_row(payload))
            elif kind == b"E":
                error = PostgresError(_parse_error(payload))
            elif kind == b"Z":  # ready again: the whole string has run (or stopped at the error)
                if error is not None:
                    raise error
                return rows
            # C (CommandComplete), I (EmptyQueryResponse), N (notice), S (parameter) need nothing.

    def close(self) -> None:
        try:
            self._send(b"X", b"")
        except OSError:
            pass
        finally:
            self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _data_row(payload: bytes) -> tuple[str | None, ...]:
    (count,), offset = struct.unpack("!H", payload[:2]), 2
    values: list[str | None] = []
    for _ in range(count):
        (size,) = struct.unpack("!i", payload[offset : offset + 4])
        offset += 4
        if size < 0:
            values.append(None)
            continue
        values.append(payload[offset : offset + size].decode())
        offset += size
    return tuple(values)


def tls_context(cafile: str) -> ssl.SSLContext:
    """Verify the server against ``cafile`` only (not the system store), with its host name."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(
    host: str,
    port: int,
    *,
    user: str,
    database: str,
    password: str,
    cafile: str,
    server_hostname: str | None = None,
    timeout: float = 10.0,
    application_name: str = "fdr-region-switch-verify",
) -> Connection:
    """Open a TLS session to ``host:port`` and authenticate. ``server_hostname`` is the name the
    certificate must carry (default: ``host``)."""
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        raw.sendall(struct.pack("!II", 8, SSL_REQUEST_CODE))
        answer = raw.recv(1)
        if answer != b"S":
            raise ProtocolError(
                f"{host}:{port} does not accept TLS (answer {answer!r}); the password is never "
                "sent in clear"
            )
        sock = tls_context(cafile).wrap_socket(raw, server_hostname=server_hostname or host)
    except BaseException:
        raw.close()
        raise
    connection = Connection(sock)
    try:
        connection.authenticate(user, database, password, application_name)
    except BaseException:
        sock.close()
        raise
    return connection
