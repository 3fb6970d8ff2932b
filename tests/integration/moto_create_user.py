#!/usr/bin/env python3
"""Prepares a moto_server started in IAM auth mode (INITIAL_NO_AUTH_ACTION_COUNT=3) for
tests/integration/s3_store_test.cpp: the three unauthenticated IAM calls create a user with
an allow-all inline policy and an access key; that key then creates the bucket.
Usage: moto_create_user.py ENDPOINT BUCKET -> prints {"access_key_id": ..., "secret_access_key": ...}
"""
import json
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
unauthenticated = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bootstrap",
                       aws_secret_access_key="bootstrap")
iam = boto3.client("iam", **unauthenticated)
iam.create_user(UserName="apex-test")
iam.put_user_policy(UserName="apex-test", PolicyName="allow-all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="apex-test")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=bucket)
print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))
