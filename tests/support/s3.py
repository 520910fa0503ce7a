"""A real S3 API for the tests: moto's server on a free loopback port, one bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.services import require_moto

# moto accepts any credentials; these only have to be the same on both sides.
ACCESS_KEY = "lensboard-test"
SECRET_KEY = "lensboard-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Bucket:
    endpoint: str
    name: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def url(self, prefix: str = "lensboard") -> str:
        return f"s3://{self.name}/{prefix}"

    def env(self, prefix: str = "lensboard") -> dict[str, str]:
        """What a Lensboard process needs to use this bucket as its artifact store."""
        return {"LENSBOARD_ARTIFACT_URL": self.url(prefix), "LENSBOARD_S3_ENDPOINT_URL": self.endpoint,
                "LENSBOARD_S3_REGION": REGION, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY}

    def keys(self) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def get(self, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=self.name, Key=key)["Body"].read())


def moto_server() -> Iterator[str]:
    """Start moto's S3 server on a free port; yields its endpoint URL."""
    require_moto()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_bucket(endpoint: str) -> S3Bucket:
    bucket = S3Bucket(endpoint, f"lb-{uuid.uuid4().hex[:12]}")
    bucket.client().create_bucket(Bucket=bucket.name)
    return bucket
