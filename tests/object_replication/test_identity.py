"""The keyless exchange: an AWS web identity token (STS stubbed: moto has no
GetWebIdentityToken) traded at a fake Entra endpoint for a Storage token, which Azurite then
accepts. Nothing secret is configured anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from object_replication import wiring
from object_replication.blob import BlobContainer
from object_replication.identity import EntraToken, IdentityError, aws_web_identity_token
from object_replication.transport import Http

from tests.object_replication.conftest import REGION, Azurite, settings
from tests.object_replication.fake_entra import (
    AUDIENCE,
    CLIENT_ID,
    FakeEntra,
    aws_token,
    claims,
)

EXPECTED_STS = {"Audience": [AUDIENCE], "SigningAlgorithm": "RS256", "DurationSeconds": 300}


def stubbed_sts(*tokens: str) -> tuple[Any, Stubber]:
    sts = boto3.client("sts", region_name=REGION)
    stub = Stubber(sts)
    for token in tokens:
        stub.add_response(
            "get_web_identity_token",
            {"WebIdentityToken": token, "Expiration": datetime.now(UTC) + timedelta(minutes=5)},
            EXPECTED_STS,
        )
    stub.activate()
    return sts, stub


@pytest.fixture
def fresh_entra(entra: FakeEntra) -> FakeEntra:
    entra.exchanges.forms.clear()
    entra.exchanges.expires_in = 3599
    return entra


def entra_settings(entra: FakeEntra) -> Any:
    return settings("bucket", "http://unused", "http://unused", token_endpoint=entra.token_url)


def test_aws_token_is_exchanged_once_and_cached(fresh_entra: FakeEntra) -> None:
    sts, stub = stubbed_sts(aws_token())
    token = wiring.federated_token(entra_settings(fresh_entra), sts, Http())
    first, second = token(), token()
    assert first == second
    stub.assert_no_pending_responses()
    (form,) = fresh_entra.exchanges.forms  # one exchange: the second call used the cache
    assert form["client_id"] == CLIENT_ID
    assert form["scope"] == "https://storage.azure.com/.default"
    assert form["grant_type"] == "client_credentials"
    assert claims(form["client_assertion"])["aud"] == AUDIENCE
    assert claims(first)["aud"] == "https://storage.azure.com"


def test_token_is_renewed_before_it_expires(fresh_entra: FakeEntra) -> None:
    sts, stub = stubbed_sts(aws_token(), aws_token())
    now = [1_000_000.0]
    entra = EntraToken(
        token_url=fresh_entra.token_url,
        client_id=CLIENT_ID,
        scope="https://storage.azure.com/.default",
        assertion=lambda: aws_web_identity_token(
            sts, audience=AUDIENCE, signing_algorithm="RS256", duration_seconds=300
        ),
        http=Http(),
        clock=lambda: now[0],
    )
    entra.token()
    now[0] += 3599 - 299  # inside the five-minute margin
    entra.token()
    assert len(fresh_entra.exchanges.forms) == 2
    stub.assert_no_pending_responses()


def test_untrusted_subject_is_one_clear_line(fresh_entra: FakeEntra) -> None:
    sts, _ = stubbed_sts(aws_token(subject="arn:aws:iam::123456789012:role/someone-else"))
    token = wiring.federated_token(entra_settings(fresh_entra), sts, Http())
    with pytest.raises(IdentityError) as refused:
        token()
    message = str(refused.value)
    assert "AADSTS70021" in message and "\n" not in message


def test_outbound_federation_disabled_says_how_to_enable_it() -> None:
    sts = boto3.client("sts", region_name=REGION)
    stub = Stubber(sts)
    stub.add_client_error(
        "get_web_identity_token", "OutboundWebIdentityFederationDisabledException", "disabled"
    )
    stub.activate()
    with pytest.raises(IdentityError, match="enable-outbound-web-identity-federation"):
        aws_web_identity_token(
            sts, audience=AUDIENCE, signing_algorithm="RS256", duration_seconds=300
        )


def test_exchanged_token_opens_azurite(fresh_entra: FakeEntra, azurite: Azurite) -> None:
    azurite.service().get_container_client("identity").create_container()
    sts, _ = stubbed_sts(aws_token())
    http = Http(ca_bundle=azurite.ca_bundle)
    token = wiring.federated_token(entra_settings(fresh_entra), sts, http)
    container = BlobContainer(azurite.account_url, "identity", token=token, http=http)
    assert list(container.list()) == []
