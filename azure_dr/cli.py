"""``python -m azure_dr {template,plan,sync,outputs}``: the Azure DR footprint, like cdk diff;
``replicate objects`` and ``status``: the data flow into it (``azure_dr/replication.py``);
``failover`` and ``failback``: production to Azure and back (``azure_dr/failover/``).

Exit codes: 0 success (plan: nothing would change; status: within the RPO), 2 plan: changes
pending (status: beyond the RPO), 1 any failure (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from azure.core.credentials import TokenCredential

from azure_dr import baseline_upload, replication, sync_secrets
from azure_dr.aws_link import read_tunnel_addresses
from azure_dr.client import ArmSession, ClientOptions, default_credential
from azure_dr.clouds import CLOUDS, DEFAULT_CLOUD
from azure_dr.database import commands as database_commands
from azure_dr.egress import has_aws_credentials, nat_addresses
from azure_dr.errors import AzureDrError, translate
from azure_dr.footprint import Footprint, build_footprint
from azure_dr.preview import pending, render_json, render_text, summary
from azure_dr.vault import VaultSecrets, vault_url
from infra.config import ConfigError, load_config
from infra.config.loader import CONFIG_DIR

EXIT_OK, EXIT_FAILED, EXIT_CHANGES = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m azure_dr", description=__doc__.split("\n")[0])
    p.add_argument(
        "command",
        choices=[
            "template", "plan", "sync", "outputs", "replicate", "status", "failover", "failback",
        ],
    )  # fmt: skip
    p.add_argument(
        "what", nargs="?", choices=["objects", "database"], help="replicate: the data set"
    )
    p.add_argument("--env", default="development", help="config/<env>.yaml (default development)")
    p.add_argument("--subscription", help="Azure subscription id (default: azure.subscription_id)")
    p.add_argument("--yes", action="store_true", help="sync/failover without asking (CI)")
    p.add_argument("--dry-run", action="store_true", help="failover/failback: plan, change nothing")
    p.add_argument(
        "--force",
        action="store_true",
        help="failover: even when Route 53 reports AWS healthy, and restore into a non-empty "
        "database; failback: even when AWS is unhealthy",
    )
    p.add_argument(
        "--dump-container",
        default="backups",
        help="failover: blob container of the database dumps and the failover marker",
    )
    p.add_argument("--timeout", type=float, default=3600, help="seconds to wait for a deployment")
    p.add_argument("--output", choices=["text", "json"], default="text")
    p.add_argument("--cloud", choices=sorted(CLOUDS), default=DEFAULT_CLOUD)
    p.add_argument("--arm-endpoint", help="any ARM-compatible endpoint (default: the cloud's)")
    p.add_argument("--ca-bundle", help="CA certificates (PEM) to trust for the ARM endpoint")
    p.add_argument(
        "--vault-endpoint",
        help="the footprint's Key Vault data plane (default https://<vault>.<cloud suffix>)",
    )
    replication.add_arguments(p)
    database_commands.add_arguments(p)
    return p


def main(
    argv: list[str],
    *,
    credential: TokenCredential | None = None,
    transport: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    config_dir: Path = CONFIG_DIR,
    aws_session: Any | None = None,
    seams: Mapping[str, Any] | None = None,
    container_factory: Any = None,
) -> int:
    """``credential`` and ``transport`` (ClientOptions overrides: polling_interval, retry_total,
    retry_backoff_factor, progress_every) let tests and embedders replace the defaults;
    ``seams`` the failover's (``azure_dr/failover/wiring.py``: route53, database, container,
    clock, mode)."""
    out, err, inp = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    args = parser().parse_args(argv)
    try:
        config = load_config(args.env, config_dir=config_dir, environ=environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAILED
    cloud = CLOUDS[args.cloud]
    if args.command == "replicate" and args.what == "database":
        return _replicate_database(
            args, config, cloud, credential, transport, environ, aws_session, out, err
        )
    if args.command in ("replicate", "status"):
        return _data_flow(
            args,
            config,
            lambda: credential or default_credential(cloud, environ),
            out,
            err,
            environ,
            container_factory,
            aws_session,
        )
    tunnels = None
    aws = (aws_session or _default_aws_session()) if args.command in ("plan", "sync") else None
    if args.command in ("plan", "sync") and config.linked_regions:
        try:
            tunnels = read_tunnel_addresses(config, aws, lambda line: print(line, file=err))
        except AzureDrError as exc:
            print(f"error: {exc}", file=err)
            return EXIT_FAILED
    egress = _aws_egress(config, environ, err) if args.command in ("plan", "sync") else None

    def build(keyless: frozenset[str] = frozenset()) -> Footprint:
        return build_footprint(
            config,
            subscription_id=args.subscription,
            cloud=cloud,
            aws_tunnel_addresses=tunnels,
            egress=egress,
            keyless_tunnels=keyless,
        )

    footprint = build()
    if args.command == "template":
        print(json.dumps(footprint.template, indent=2), file=out)
        return EXIT_OK
    overrides = dict(transport or {})
    progress_every = float(overrides.pop("progress_every", 10))
    options = ClientOptions(
        arm_endpoint=args.arm_endpoint or cloud.arm_endpoint,
        credential_scopes=[cloud.scope],
        connection_verify=args.ca_bundle or True,
        read_timeout=min(args.timeout, 120),
        **overrides,
    )
    try:
        token = credential or default_credential(cloud, environ)
        session = ArmSession(footprint, token, options)
        if args.command in ("failover", "failback"):
            from azure_dr.failover.wiring import run_failover

            return run_failover(
                args, config, session, footprint, token, environ, seams or {}, out, err,
                confirm=lambda: _confirm(inp, err),
            )  # fmt: skip
        vault = _vault_factory(args, cloud, footprint, token, overrides)
        keys = _KeyStep(config, aws, vault, build)
        publish = None
        if args.command == "sync":
            publish = _baseline_step(args, config, footprint, token, seams or {}, err)
        return _run(args, session, footprint, environ, inp, out, err, progress_every, keys, publish)
    except KeyboardInterrupt:
        print("error: interrupted; a running deployment continues in Azure", file=err)
        return EXIT_FAILED
    except Exception as exc:
        message = translate(
            exc, subscription_id=footprint.subscription_id, resource_group=footprint.resource_group
        )
        print(f"error: {message}", file=err)
        return EXIT_FAILED


def _vault_factory(
    args: argparse.Namespace, cloud: Any, footprint: Footprint, token: Any, overrides: dict
) -> Any:
    """The footprint vault's data-plane client, made on first use (plan never needs it)."""
    made: list[VaultSecrets] = []

    def vault() -> VaultSecrets:
        if not made:
            name = footprint.names.key_vault
            url = vault_url(name, cloud.vault_dns_suffix, args.vault_endpoint)
            made.append(VaultSecrets.connect(name, url, token,
                                             connection_verify=args.ca_bundle or True,
                                             **overrides))  # fmt: skip
        return made[0]

    return vault


@dataclass
class _KeyStep:
    """What the secrets step needs beyond the session: AWS for the VPN keys, the vault's data
    plane, and the footprint rebuilt without the connections whose keys must wait."""

    config: Any
    aws: Any
    vault: Any
    build: Any

    @property
    def has_aws(self) -> bool:
        return sync_secrets.has_aws_credentials(self.aws)


def _run(
    args: argparse.Namespace,
    session: ArmSession,
    footprint: Footprint,
    environ: Mapping[str, str],
    inp: TextIO,
    out: TextIO,
    err: TextIO,
    progress_every: float,
    keys: _KeyStep,
    publish: Callable[[], None] | None = None,
) -> int:
    """``publish``: sync's last step once the footprint is in place (the cluster baseline)."""
    if args.command == "outputs":
        _print_outputs(session.outputs(), args.output, out)
        return EXIT_OK

    def log(line: str) -> None:
        print(line, file=err, flush=True)

    state = sync_secrets.survey(footprint, session.exists, environ)
    # AWS is asked for credentials only when there are VPN keys to copy (the provider chain can
    # take seconds off EC2).
    aws_ok = bool(state.keys_present) and keys.has_aws
    keyless = sync_secrets.keyless_tunnels(state, aws=aws_ok)
    if keyless:
        footprint = session.footprint = keys.build(keyless)
    print(f"planning {footprint.deployment_name} (what-if)...", file=err)
    group_exists, changes = session.plan(sync_secrets.parameters(footprint, state, what_if=True))
    deleted = session.deleted_key_vault()
    if deleted:
        print(
            f"Key Vault {deleted.name} is soft-deleted (deleted {deleted.deletion_date}, purged "
            f"{deleted.scheduled_purge_date}): sync recovers it before deploying",
            file=err,
        )
    for line in sync_secrets.plan_lines(footprint, state, aws=aws_ok):
        log(line)
    render = render_json if args.output == "json" else render_text
    print(render(footprint, changes, group_exists), file=out)
    # Keys this run can copy (with AWS credentials); without, missing keys wait (said above).
    copyable = state.missing_keys() if aws_ok else []
    has_changes = (
        pending(changes) or not group_exists or sync_secrets.pending(state) or bool(copyable)
    )
    if args.command == "plan":
        return EXIT_CHANGES if has_changes else EXIT_OK
    if not has_changes:
        # Key Vault's copies of the keys follow Secrets Manager on every sync with AWS
        # credentials (a mirror: nothing deployed changes). A changed key must then reach the
        # connections, which what-if cannot show (it never compares secure values).
        if not (aws_ok and footprint.reference_parameters
                and _copy_keys(session, footprint, keys, log).written):  # fmt: skip
            print("nothing to change", file=err)
            if publish:
                publish()
            _print_outputs(session.outputs(), args.output, out)
            return EXIT_OK
        print("a pre-shared key changed in Key Vault: the connections are deployed again so "
              "that ARM re-reads it", file=err)  # fmt: skip
    if deleted:
        session.check_recoverable(deleted)
    if not args.yes and not _confirm(inp, err):
        raise AzureDrError("not applied: answer 'yes' to apply, or pass --yes")
    if not group_exists:
        print(f"creating resource group {footprint.resource_group}...", file=err)
        session.ensure_resource_group()
    if deleted:
        print(f"recovering Key Vault {deleted.name} (createMode recover)...", file=err)
        session.recover_key_vault(deleted, timeout=args.timeout, progress=log, every=progress_every)
    elif not state.vault_exists:
        print(f"deploying Key Vault {footprint.names.key_vault} first "
              f"({footprint.key_vault_bootstrap_deployment})...", file=err)  # fmt: skip
        session.bootstrap_key_vault(timeout=args.timeout, progress=log, every=progress_every)
    sync_secrets.ensure_password(state, keys.vault, environ, log)
    if aws_ok:
        footprint = _copy_keys(session, footprint, keys, log).footprint
    parameters = sync_secrets.parameters(footprint, state, what_if=False)
    print("validating the template...", file=err)
    session.validate(parameters)
    print(f"deploying {footprint.deployment_name} (Incremental)...", file=err)
    outputs = session.deploy(parameters, timeout=args.timeout, progress=log, every=progress_every)
    s = summary(changes)
    print(
        f"applied: {s['create']} created, {s['modify']} modified, {s['unchanged']} unchanged",
        file=err,
    )
    if publish:
        publish()
    _print_outputs(outputs, args.output, out)
    return EXIT_OK


@dataclass
class _Copied:
    footprint: Footprint
    written: list[str]


def _copy_keys(session: ArmSession, footprint: Footprint, keys: _KeyStep, log: Any) -> _Copied:
    """Copy the VPN keys; connections whose AWS secret is missing wait (footprint rebuilt)."""
    from infra.naming import Names

    names = Names(keys.config.project, keys.config.name)
    copied = sync_secrets.copy_tunnel_keys(footprint, names, keys.aws, keys.vault, log)
    if copied.waiting:
        footprint = session.footprint = keys.build(frozenset(copied.waiting))
    return _Copied(footprint, copied.written)


def _baseline_step(
    args: argparse.Namespace,
    config: Any,
    footprint: Footprint,
    credential: TokenCredential,
    seams: Mapping[str, Any],
    err: TextIO,
) -> Callable[[], None]:
    """The cluster baseline's part of sync, self-contained: refuse a stale rendered overlay
    before anything changes (now), upload it once the footprint is in place (the returned
    step). ``seams["baseline_container"]`` (endpoint, container) -> ContainerClient replaces
    the real client in tests."""
    text = baseline_upload.checkout_text(config)
    endpoint = args.blob_endpoint or CLOUDS[args.cloud].blob_endpoint(
        footprint.names.storage_account
    )
    name = config.azure.aks.baseline_source.container

    def step() -> None:
        factory = seams.get("baseline_container")
        if factory is not None:
            container = factory(endpoint, name)
        else:
            from azure.storage.blob import ContainerClient

            container = ContainerClient(endpoint, name, credential=credential)
        result = baseline_upload.publish(
            container, text, progress=lambda line: print(line, file=err, flush=True)
        )
        done = "uploaded" if result.uploaded else "already there, nothing uploaded:"
        print(f"cluster baseline: {done} {result.container}/{result.blob}", file=err)

    return step


def _default_aws_session() -> Any:
    """The default boto3 session (environment, profile, SSO, instance role), or None."""
    import boto3  # only the link's phase 2 needs AWS

    return boto3.Session()


def _aws_egress(config: Any, environ: Mapping[str, str], err: TextIO) -> list[Any] | None:
    """The NAT Elastic IPs of the replication region, read with the AWS credentials of
    ``environ`` (none: config alone; a failed read: a warning, config alone)."""
    if not has_aws_credentials(environ):
        return None
    import boto3

    from infra.naming import Names

    region = config.replication_region
    stack = Names(config.project, config.name).stack_id("network", region)
    try:
        session = boto3.Session(
            aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=environ.get("AWS_SESSION_TOKEN"),
            profile_name=environ.get("AWS_PROFILE"),
            region_name=region,
        )
        addresses = nat_addresses(session.client("ec2"), stack)
    except Exception as exc:
        print(
            f"warning: could not read the NAT addresses of {stack} ({type(exc).__name__}: "
            f"{exc}); the storage firewall admits azure.storage.allowed_ip_ranges only",
            file=err,
        )
        return None
    shown = ", ".join(str(a) for a in addresses) or "none"
    print(f"storage firewall: NAT addresses of {stack}: {shown}", file=err)
    return addresses


def _confirm(inp: TextIO, err: TextIO) -> bool:
    if not inp.isatty():
        raise AzureDrError("not applied: stdin is not a terminal; pass --yes to apply from CI")
    print("Apply these changes? Type 'yes' to continue: ", end="", file=err, flush=True)
    return inp.readline().strip().lower() == "yes"


def _print_outputs(outputs: dict[str, Any], output: str, out: TextIO) -> None:
    if output == "json":
        print(json.dumps({"outputs": outputs}, indent=2), file=out)
        return
    print("Outputs:", file=out)
    for key, value in outputs.items():
        print(f"  {key} = {value}", file=out)


def _dump_container(settings: Any, db: Any, credential: Any) -> Any:
    """The dumps' container, read with the operator's Azure sign-in (Storage Blob Data Reader)."""
    from azure.storage.blob import ContainerClient

    return ContainerClient(
        settings.blob_endpoint,
        db.container,
        credential=credential(),
        connection_verify=settings.ca_bundle or True,
    )


def _replicate_database(
    args: argparse.Namespace,
    config: Any,
    cloud: Any,
    credential: TokenCredential | None,
    transport: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    aws_session: Any,
    out: TextIO,
    err: TextIO,
) -> int:
    """``replicate database``: its DSNs from the vaults (``azure_dr/database/credentials.py``);
    AWS, ARM and Key Vault are reached only for what no override gives."""
    from azure_dr.database.credentials import Resolver

    footprint = build_footprint(config, subscription_id=args.subscription, cloud=cloud)
    overrides = {k: v for k, v in (transport or {}).items() if k != "progress_every"}
    token: list[TokenCredential] = []

    def azure() -> TokenCredential:
        token[:1] = [token[0] if token else credential or default_credential(cloud, environ)]
        return token[0]

    def outputs() -> dict[str, Any]:
        options = ClientOptions(
            arm_endpoint=args.arm_endpoint or cloud.arm_endpoint,
            credential_scopes=[cloud.scope],
            connection_verify=args.ca_bundle or True,
            **overrides,
        )
        return ArmSession(footprint, azure(), options).outputs()

    def vault() -> VaultSecrets:
        name = footprint.names.key_vault
        url = vault_url(name, cloud.vault_dns_suffix, args.vault_endpoint)
        return VaultSecrets.connect(
            name, url, azure(), connection_verify=args.ca_bundle or True, **overrides
        )

    dsns = Resolver(
        config=config,
        environ=environ,
        aws=lambda: aws_session or _default_aws_session(),
        azure_outputs=outputs,
        vault=vault,
    )
    try:
        return database_commands.replicate(config, args, dsns, out)
    except AzureDrError as exc:
        print(f"error: {exc}", file=err)
    except Exception as exc:
        message = translate(exc, subscription_id=footprint.subscription_id,
                            resource_group=footprint.resource_group)  # fmt: skip
        print(f"error: {message}", file=err)
    return EXIT_FAILED


def _data_flow(
    args: argparse.Namespace,
    config: Any,
    credential: Any,
    out: TextIO,
    err: TextIO,
    environ: Mapping[str, str],
    container_factory: Any,
    aws_session: Any = None,
) -> int:
    if args.command == "replicate" and args.what is None:
        print("error: replicate what? `replicate objects` or `replicate database`", file=err)
        return EXIT_FAILED
    settings = None
    try:
        settings = replication.settings_for(config, args)
        engine = replication.build(settings, args, credential, err)
        if args.command == "status":
            extra = {}
            db = config.database_replication
            if db.enabled:
                container = (container_factory or _dump_container)(settings, db, credential)
                dumps = database_commands.database_entry(config, container)
                if db.mode == "continuous":
                    # The lag is the RPO; the dumps go on as the fallback, shown beside it.
                    cloudwatch = (aws_session or _default_aws_session()).client(
                        "cloudwatch", region_name=config.primary_region
                    )
                    entry = database_commands.continuous_entry(config, cloudwatch)
                    extra[database_commands.DATA_SET] = (
                        entry,
                        database_commands.describe_continuous(entry),
                    )
                    fallback = database_commands.DUMP_FALLBACK
                    line = database_commands.describe(dumps).replace(
                        database_commands.DATA_SET, fallback, 1
                    )
                    extra[fallback] = ({**dumps, "fallback": True}, line + " (fallback)")
                else:
                    extra[database_commands.DATA_SET] = (dumps, database_commands.describe(dumps))
            return replication.status(engine, args, out, extra)
        return replication.replicate(engine, args, out, err)
    except KeyboardInterrupt:
        print("error: interrupted; a re-run continues where this one stopped", file=err)
        return EXIT_FAILED
    except Exception as exc:
        print(f"error: {replication.describe(exc, settings)}", file=err)
        return EXIT_FAILED
