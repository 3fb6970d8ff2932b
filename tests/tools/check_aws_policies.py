#!/usr/bin/env python3
"""Checks the two IAM policies of docs/aws-setup.md with the real apex binary against
moto_server in IAM auth mode (moto evaluates identity policies on every S3 request).

  python3 tests/tools/check_aws_policies.py BUILD_DIR/apex

The policy JSON is read from the document itself, so the document and the check cannot
drift apart. For each user it runs what that user is meant to do (and not do):
  apex-server   (read-only): `apex ls` and `apex download` work, every PUT of `apex upload` is refused
  apex-uploader (write):     `apex upload` works, including a multipart file; `--delete`
                             is refused until s3:DeleteObject is added, as the page says
Prints one line per check and exits 1 if any fails. moto is not AWS: this checks the
actions each command needs. moto mis-computes the signature of a listing whose prefix has a
'/' (data%2F), so the check runs with an empty S3_PREFIX and the policies' object resource
"BUCKET/data/*" widened to "BUCKET/*"; the data/ scoping itself is not checked here.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import boto3

BUCKET = "apex-racing-data"
HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "aws-setup.md")


def policies_from_doc():
    text = open(DOC, encoding="utf-8").read()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    if len(blocks) != 2:
        sys.exit(f"expected 2 JSON policies in {DOC}, found {len(blocks)}")
    return blocks[0], blocks[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("moto_server did not start")


def main():
    apex = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/apex")
    server_policy, uploader_policy = (json.loads(json.dumps(p).replace(f"{BUCKET}/data/*", f"{BUCKET}/*"))
                                      for p in policies_from_doc())
    if shutil.which("moto_server") is None:
        sys.exit("check_aws_policies: moto_server is not installed (Debian does not package moto: "
                 "pip install 'moto[server]')")
    work = tempfile.mkdtemp(prefix="apex-policies-")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # Nine unauthenticated IAM calls set up three users; everything after is checked.
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "9"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failures = 0
    try:
        wait_for(port)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        keys = {}
        admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        for user, policy in (("admin", admin), ("apex-server", server_policy), ("apex-uploader", uploader_policy)):
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName=user, PolicyDocument=json.dumps(policy))
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id=keys["admin"]["AccessKeyId"],
                     aws_secret_access_key=keys["admin"]["SecretAccessKey"]).create_bucket(Bucket=BUCKET)

        tree = os.path.join(work, "tree")
        os.makedirs(os.path.join(tree, "barber", "Race 1"))
        with open(os.path.join(tree, "barber", "R1_barber_lap_time.csv"), "w") as f:
            f.write("lap,time\n1,1:37.428\n")
        with open(os.path.join(tree, "barber", "Race 1", "big telemetry.csv"), "wb") as f:
            f.write(os.urandom(6 * 1024 * 1024))  # above --multipart-threshold 5: parts

        def apex_run(user, *args):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "USE_S3"))}
            env.update({"S3_ENDPOINT_URL": endpoint, "S3_BUCKET_NAME": BUCKET, "AWS_REGION": "us-east-1",
                        "USE_S3_DATA": "true", "S3_PREFIX": "", "AWS_ACCESS_KEY_ID": keys[user]["AccessKeyId"],
                        "AWS_SECRET_ACCESS_KEY": keys[user]["SecretAccessKey"]})
            done = subprocess.run([apex, *args], env=env, cwd=work, capture_output=True, text=True, timeout=300)
            return done.returncode, done.stdout + done.stderr

        def check(name, ok, output):
            nonlocal failures
            print(("ok   " if ok else "FAIL ") + name)
            if not ok:
                failures += 1
                print("     " + output.strip().replace("\n", "\n     "))

        code, out = apex_run("apex-server", "upload", tree)
        # Its listing (the access check) is allowed, so each PUT is refused: exit 1, AccessDenied.
        check("apex-server cannot upload (every file AccessDenied, exit 1)",
              code == 1 and "AccessDenied" in out and "uploaded: 0 files" in out, out)
        code, out = apex_run("apex-uploader", "upload", tree, "--multipart-threshold", "5", "--part-size", "5")
        check("apex-uploader uploads, multipart included (exit 0)", code == 0, out)
        code, out = apex_run("apex-uploader", "upload", tree, "--multipart-threshold", "5", "--part-size", "5")
        check("apex-uploader re-run skips everything (HEAD allowed)", code == 0 and "skipped" in out, out)
        code, out = apex_run("apex-server", "ls")
        check("apex-server lists data/", code == 0 and "R1_barber_lap_time.csv" in out, out)
        code, out = apex_run("apex-server", "download", os.path.join(work, "mirror"))
        check("apex-server downloads data/", code == 0 and os.path.exists(
            os.path.join(work, "mirror", "barber", "Race 1", "big telemetry.csv")), out)
        os.remove(os.path.join(tree, "barber", "R1_barber_lap_time.csv"))
        code, out = apex_run("apex-uploader", "upload", tree, "--delete", "--delete-from-bucket-root")
        check("apex-uploader --delete is refused without s3:DeleteObject", code != 0 and "AccessDenied" in out, out)
    finally:
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
