#!/usr/bin/env python3
"""boto3 as an independent S3 client for the cross-checks of the C++ tests.

Usage: boto3_objects.py ENDPOINT BUCKET MANIFEST.json, where the manifest is a list of
{"op": "get" | "put" | "create_bucket", "key": full object key (or bucket name), "file":
local path}. "get" writes the object to file, "put" uploads file under key. Prints "ok", or
the first error and exits 1.
"""
import json
import sys

import boto3
from botocore.config import Config


def main() -> int:
    endpoint, bucket, manifest = sys.argv[1:4]
    options = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 2}}
    # Plain bodies: s3rver stores aws-chunked uploads (with trailing checksums) raw. botocore
    # sends those by default since 1.36; Debian 12's 1.29 never does and knows no such option.
    if "request_checksum_calculation" in Config.OPTION_DEFAULTS:
        options.update(request_checksum_calculation="when_required", response_checksum_validation="when_required")
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="S3RVER",
        aws_secret_access_key="S3RVER",
        config=Config(**options),
    )
    with open(manifest, encoding="utf-8") as f:
        operations = json.load(f)
    for op in operations:
        try:
            if op["op"] == "get":
                body = s3.get_object(Bucket=bucket, Key=op["key"])["Body"].read()
                with open(op["file"], "wb") as out:
                    out.write(body)
            elif op["op"] == "put":
                with open(op["file"], "rb") as data:
                    s3.put_object(Bucket=bucket, Key=op["key"], Body=data.read())
            elif op["op"] == "create_bucket":
                s3.create_bucket(Bucket=op["key"])
            else:
                raise ValueError("unknown op " + op["op"])
        except Exception as error:  # report any failure with the key it concerned
            print(f"{op['op']} {op['key']}: {error}")
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
