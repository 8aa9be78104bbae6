"""A fake Entra ID token endpoint on 127.0.0.1 for the keyless exchange, and JWT helpers.

It checks what Entra checks for a federated credential (client_credentials grant with a
jwt-bearer client assertion whose issuer, subject and audience match the credential, for the
expected client id and scope) and answers with an access token Azurite accepts in
``--oauth basic`` mode (audience https://storage.azure.com, an Entra issuer, valid times;
Azurite does not check signatures). A refused exchange answers like Entra: 400 with an
AADSTS code in ``error_description``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TENANT = "ab1f708d-50f6-404c-a006-d71b2ac7a606"
CLIENT_ID = "3c1b0e3e-8c5b-4f0a-9d59-1b2c3d4e5f60"
AWS_ISSUER = "https://a1d2b0fd-1177-4468-9351-2fexample723.tokens.sts.global.api.aws"
ROLE_ARN = "arn:aws:iam::123456789012:role/fdr-test-object-replicator-us-west-2"
AUDIENCE = "api://AzureADTokenExchange"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT (nobody here verifies signatures)."""
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJl"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def aws_token(subject: str = ROLE_ARN, audience: str = AUDIENCE) -> str:
    now = int(time.time())
    return jwt({"iss": AWS_ISSUER, "sub": subject, "aud": audience, "iat": now, "exp": now + 300})


def storage_token(lifetime: int = 3600) -> str:
    now = int(time.time())
    return jwt(
        {
            "aud": "https://storage.azure.com",
            "iss": f"https://sts.windows.net/{TENANT}/",
            "tid": TENANT,
            "oid": CLIENT_ID,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + lifetime,
        }
    )


@dataclass
class Exchanges:
    forms: list[dict[str, str]] = field(default_factory=list)
    expires_in: int = 3599
    subject: str = ROLE_ARN


class _Handler(BaseHTTPRequestHandler):
    server: FakeEntra

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        state = self.server.exchanges
        state.forms.append(form)
        if self.path != f"/{TENANT}/oauth2/v2.0/token":
            return self._answer(
                400, {"error": "invalid_request", "error_description": "AADSTS900023: tenant"}
            )
        expected = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "scope": "https://storage.azure.com/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        }
        wrong = [k for k, v in expected.items() if form.get(k) != v]
        if wrong:
            return self._answer(
                400, {"error": "invalid_request", "error_description": f"AADSTS900144: {wrong}"}
            )
        assertion = claims(form["client_assertion"])
        if (assertion.get("iss"), assertion.get("sub"), assertion.get("aud")) != (
            AWS_ISSUER,
            state.subject,
            AUDIENCE,
        ):
            return self._answer(
                400,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS70021: No matching federated identity record "
                    "found for presented assertion.\r\nTrace ID: 0",
                },
            )
        self._answer(
            200,
            {
                "token_type": "Bearer",
                "expires_in": state.expires_in,
                "access_token": storage_token(),
            },
        )


class FakeEntra(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.exchanges = Exchanges()

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{TENANT}/oauth2/v2.0/token"

    def start(self) -> FakeEntra:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
