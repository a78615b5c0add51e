"""An S3-protocol server on loopback for the object-storage tests: moto's server mode
(``ThreadedMotoServer``), spoken to over HTTP by boto3 exactly as a real bucket would be.
The package registries here carry no MinIO or Ceph; moto implements the S3 calls the
project makes (put, get with ranges, head, delete, list, presigned GET).

``tests/conftest.py`` starts one server for the session (``s3_server``) and gives a test
a fresh, empty bucket as the default storage (``object_storage``); the worker processes
of the slow tier get the same settings through ``s3_env``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import boto3

REGION = "us-east-1"
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"


def s3_env(*, endpoint: str, bucket: str) -> dict[str, str]:
    """The environment that selects the bucket as media storage (config/settings/storage.py)."""
    return {
        "MEDIA_STORAGE": "s3",
        "MEDIA_S3_BUCKET": bucket,
        "MEDIA_S3_ENDPOINT_URL": endpoint,
        "MEDIA_S3_REGION": REGION,
        "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@dataclass
class Bucket:
    endpoint: str
    name: str
    client: object  # a boto3 S3 client on the server

    def object_keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(  # type: ignore[attr-defined]
            Bucket=self.name, Prefix=prefix
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()  # type: ignore[attr-defined]

    def env(self) -> dict[str, str]:
        return s3_env(endpoint=self.endpoint, bucket=self.name)


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def new_bucket(endpoint: str) -> Bucket:
    """A new, empty, private bucket on the server."""
    client = s3_client(endpoint)
    name = f"cocreate-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return Bucket(endpoint=endpoint, name=name, client=client)
