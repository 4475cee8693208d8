"""A real S3 HTTP endpoint for tests: moto's ThreadedMotoServer on 127.0.0.1.

Tests talk to it with boto3 over HTTP exactly as production talks to AWS or MinIO, so the code under
test never special-cases it. moto keeps its state per process, not per server: use `create_bucket()`
(unique names) so tests never see each other's objects.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

# Dummy values only: they keep boto3 away from any real credentials on the machine.
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Run an S3 server on a free 127.0.0.1 port and yield its endpoint URL.

    While inside, the process environment holds dummy credentials, a region and `AWS_ENDPOINT_URL`
    pointing at the server, so `open_store("s3://...")` and child processes reach it with boto3's
    defaults. The previous environment is restored on exit.
    """
    with stoppable_moto_s3_server() as (endpoint, _stop):
        yield endpoint


@contextmanager
def stoppable_moto_s3_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """`moto_s3_server`, and a function that takes the server down before the end (an S3 outage)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in [*DUMMY_AWS_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(DUMMY_AWS_ENV, AWS_ENDPOINT_URL=endpoint)
    access_log = logging.getLogger("werkzeug")  # one line per request drowns test output
    saved_level = access_log.level
    access_log.setLevel(logging.WARNING)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            server.stop()  # closes the socket: clients now get "connection refused"

    try:
        yield endpoint, stop
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        access_log.setLevel(saved_level)
        stop()


def create_bucket(endpoint: str, name: str | None = None) -> str:
    """Create a bucket (unique name unless given) on the server and return its name."""
    bucket = name or f"test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=DUMMY_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=bucket)
    return bucket
