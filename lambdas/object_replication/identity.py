"""Keyless AWS -> Azure: an AWS-signed JWT (IAM outbound identity federation,
``sts:GetWebIdentityToken``) is exchanged at the Entra ID token endpoint for a Storage token of
the user-assigned managed identity whose federated credential trusts it. No secret anywhere.

The exchange is OAuth 2.0 client credentials with a client assertion (RFC 7523):
``client_id`` = the managed identity's client id, ``client_assertion`` = the AWS JWT,
``scope`` = https://storage.azure.com/.default. Tokens are cached until five minutes before
they expire; a new AWS JWT is requested for each exchange (it lives only minutes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from object_replication.transport import Http

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REFRESH_MARGIN_SECONDS = 300


class IdentityError(Exception):
    """The token exchange failed; the message says which side and why."""


def aws_web_identity_token(
    sts: Any, *, audience: str, signing_algorithm: str, duration_seconds: int
) -> str:
    """A JWT for ``audience`` signed by AWS STS for the calling role (regional endpoint only:
    GetWebIdentityToken is not served by the global STS endpoint)."""
    from botocore.exceptions import ClientError

    try:
        answer = sts.get_web_identity_token(
            Audience=[audience],
            SigningAlgorithm=signing_algorithm,
            DurationSeconds=duration_seconds,
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        hint = (
            ": enable it once per account (aws iam enable-outbound-web-identity-federation)"
            if "Disabled" in code
            else ""
        )
        raise IdentityError(f"AWS STS GetWebIdentityToken failed ({code}){hint}") from None
    return str(answer["WebIdentityToken"])


@dataclass
class EntraToken:
    """``token()`` returns a valid bearer token for the Blob service."""

    token_url: str
    client_id: str
    scope: str
    assertion: Callable[[], str]
    http: Http
    clock: Callable[[], float] = time.time
    _cached: tuple[str, float] | None = field(default=None, repr=False)

    def token(self) -> str:
        now = self.clock()
        if self._cached and self._cached[1] - REFRESH_MARGIN_SECONDS > now:
            return self._cached[0]
        body = urlencode(
            {
                "client_id": self.client_id,
                "scope": self.scope,
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(),
            }
        ).encode()
        response = self.http.request(
            "POST",
            self.token_url,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=body,
        )
        try:
            answer = json.loads(response.body or b"{}")
        except ValueError:
            answer = {}
        if response.status != 200 or "access_token" not in answer:
            # AADSTS codes name the cause (e.g. AADSTS70021: no matching federated credential)
            detail = answer.get("error_description") or answer.get("error") or response.status
            first_line = str(detail).splitlines()[0]
            raise IdentityError(f"Entra ID refused the token exchange: {first_line}")
        expires_in = float(answer.get("expires_in", 3600))
        self._cached = (str(answer["access_token"]), now + expires_in)
        return self._cached[0]
