"""Benchmark of the object replication engine (the code of the Lambda functions and of
``azure_dr replicate objects``): throughput, peak memory, and the bytes that pass through it.

Three processes besides this one: moto in server mode (the S3 source), the recording fake Blob
service of tests/object_replication/fake_blob.py (which, like Azure, fetches each presigned URL
itself, hashes and discards the bytes), and for each measurement a fresh child process that runs
one reconciliation pass, so that its peak RSS is the engine's alone. Measured:

- 10,000 small objects (one Put Blob From URL each): objects per second;
- one object of 256 MiB and one of 1 GiB (blocks of 100 MiB, Put Block From URL + Put Block
  List), generated as a stream of zeros, never held in memory: seconds, peak RSS (flat as the
  object grows);
- bytes through the process: S3 GetObject calls (0), and every HTTP body the engine sent or
  received (listings, HEADs, block lists), which does not grow with the object size.

    .venv/bin/python bench/object_replication_bench.py [--small 10000] [--large-mib 1024]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lambdas"))
sys.path.insert(0, str(ROOT))
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-west-2"
)
MIB = 1024 * 1024
REGION = "us-west-2"
BUDGET_MIB = 256


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


class Zeros(io.RawIOBase):
    """``size`` zero bytes as a stream: the upload never holds the object."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def s3_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        config=Config(max_pool_connections=32, s3={"addressing_style": "path"}),
    )


def seed(endpoint: str, bucket: str, small: int, large: list[int]) -> None:
    from boto3.s3.transfer import TransferConfig

    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda i: s3.put_object(Bucket=bucket, Key=f"small/{i:05d}.json", Body=b"{}" * 64),
                range(small),
            )
        )
    transfer = TransferConfig(multipart_chunksize=16 * MIB, max_concurrency=4)
    for size in large:
        s3.upload_fileobj(Zeros(size * MIB), bucket, f"large/{size}MiB.bin", Config=transfer)


def peak_rss_mib() -> float:
    """VmHWM: the high-water mark of this process image (ru_maxrss would include the parent's
    memory at fork time, which survives exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """One reconciliation pass over ``--prefix``; prints its figures as JSON."""
    from object_replication import wiring
    from object_replication.settings import ReplicationSettings
    from object_replication.transport import Http

    settings = ReplicationSettings(
        source_bucket=args.bucket,
        source_region=REGION,
        blob_endpoint=args.blob,
        container="data",
        tenant_id="00000000-0000-0000-0000-000000000000",
        client_id="00000000-0000-0000-0000-000000000000",
        s3_endpoint=args.s3,
        single_put_max_bytes=64 * MIB,
        block_bytes=100 * MIB,
        prefix=args.prefix,
    )
    s3 = wiring.s3_client(settings)
    s3_calls = {"GetObject": 0, "GetObjectBytes": 0, "bytes": 0}

    def count(http_response: Any = None, model: Any = None, **kwargs: Any) -> None:
        size = len(http_response.content or b"") if http_response is not None else 0
        if model is not None and model.name == "GetObject":
            s3_calls["GetObject"] += 1
            s3_calls["GetObjectBytes"] += size
        s3_calls["bytes"] += size

    s3.meta.events.register("after-call.s3", count)
    http = Http()
    engine = wiring.replicator(
        settings, s3=s3, token=lambda: "bench", http=http, workers=args.workers
    )
    started = time.monotonic()
    report = engine.reconcile()
    seconds = time.monotonic() - started
    print(
        json.dumps(
            {
                "copied": report.copied,
                "failed": len(report.failed),
                "seconds": seconds,
                "peak_rss_mib": peak_rss_mib(),
                "s3_get_object_calls": s3_calls["GetObject"],
                "s3_get_object_bytes": s3_calls["GetObjectBytes"],
                "s3_response_bytes": s3_calls["bytes"],
                "azure_bytes_sent": http.traffic.bytes_sent,
                "azure_bytes_received": http.traffic.bytes_received,
                "azure_requests": http.traffic.requests,
            }
        )
    )


def measure(s3: str, blob: str, bucket: str, prefix: str, workers: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--s3", s3, "--blob", blob, "--bucket", bucket,
         "--prefix", prefix, "--workers", str(workers)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--large-mib", type=int, nargs="*", default=[256, 1024])
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--child", action="store_true")
    p.add_argument("--s3")
    p.add_argument("--blob")
    p.add_argument("--bucket", default="fdr-bench-data")
    p.add_argument("--prefix", default="")
    args = p.parse_args()
    if args.child:
        child(args)
        return
    moto_port, blob_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'lambdas'}"}
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "tests.object_replication.fake_blob", str(blob_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
        ),
    ]  # fmt: skip
    try:
        wait(moto_port, servers[0])
        wait(blob_port, servers[1])
        s3 = f"http://127.0.0.1:{moto_port}"
        blob = f"http://127.0.0.1:{blob_port}/devstoreaccount1"
        started = time.monotonic()
        seed(s3, args.bucket, args.small, args.large_mib)
        seconds = time.monotonic() - started
        print(f"seeded {args.small} small + {args.large_mib} MiB in {seconds:.0f} s")
        rows = [
            (
                "small",
                f"{args.small} objects of 128 B",
                measure(s3, blob, args.bucket, "small/", args.workers),
            )
        ]
        for size in args.large_mib:
            rows.append(
                (
                    f"{size}MiB",
                    f"1 object of {size} MiB",
                    measure(s3, blob, args.bucket, f"large/{size}MiB", args.workers),
                )
            )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    print()
    print(
        "| run | copied | seconds | throughput | peak RSS | S3 GetObject calls / bytes "
        "| Azure request bodies sent | S3 + Azure response bodies |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, label, r in rows:
        received = r["s3_response_bytes"] + r["azure_bytes_received"]
        rate = (
            f"{r['copied'] / r['seconds']:.0f} objects/s"
            if name == "small"
            else f"{int(name.removesuffix('MiB')) / r['seconds']:.0f} MiB/s"
        )
        print(
            f"| {label} | {r['copied']} | {r['seconds']:.1f} | {rate} "
            f"| {r['peak_rss_mib']:.0f} MiB | {r['s3_get_object_calls']} / "
            f"{r['s3_get_object_bytes']} | {r['azure_bytes_sent']} B | {received / 1024:.0f} KiB |"
        )
    worst = max(r["peak_rss_mib"] for _, _, r in rows)
    verdict = "met" if worst <= BUDGET_MIB else "EXCEEDED"
    print(f"\npeak RSS budget {BUDGET_MIB} MiB: {verdict} ({worst:.0f} MiB)")
    print(json.dumps({name: r for name, _, r in rows}, indent=1))


if __name__ == "__main__":
    main()
