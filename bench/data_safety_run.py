#!/usr/bin/env python3
"""Data safety of `apex upload`, `apex download` and `apex serve`, case by case, for
bench/reliability.md.

  python3 bench/data_safety_run.py build/apex

Starts s3rver (tests/node_modules) and, where python3 has it, moto (the only local server
that lists and aborts incomplete multipart uploads), then runs each case against them with
the binary given and prints one markdown row per case: what was set up and run, what apex
did (exit code, the lines that matter), and what the bucket or the disk holds afterwards.
Nothing is asserted: the rows are the record. Cases that need a non-root user run apex as
uid 65534 (setpriv); the disk-full case mounts a small tmpfs inside a user namespace
(`unshare -rm`, no root needed).
"""
import argparse
import hashlib
import importlib.util
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TOOLS = os.path.join(ROOT, "tests", "tools")
BUCKET = "apex-safety"
TIED = ["setpriv", "--pdeathsig", "KILL", "--"]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
MiB = 1024 * 1024

_spec = importlib.util.spec_from_file_location("reliability_run", os.path.join(TOOLS, "reliability_run.py"))
rr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rr)  # free_port, wait_port, get, control, serve, stop, write_ranged_tree


def machine():
    date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return f"{date}; `{load[load.find('load average'):]}`"


def cell(text):
    return text.replace("|", "\\|").replace("\n", "<br>")


def said(output, *needles, limit=6, width=230):
    """The output's lines that hold any needle, in order, each cut to width, as code."""
    lines = []
    for line in re.split(r"[\r\n]+", output):
        line = line.strip()
        if line and any(n in line for n in needles) and line not in lines:
            lines.append(line)
    shown = [f"`{l[:width]}{'...' if len(l) > width else ''}`" for l in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"(and {len(lines) - limit} more such lines)")
    return "<br>".join(shown) if shown else "(nothing of note printed)"


def row(case, sent, did, after):
    print(f"| {cell(case)} | {cell(sent)} | {cell(did)} | {cell(after)} |", flush=True)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def random_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def s3_client(endpoint):
    options = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 2}}
    if "request_checksum_calculation" in Config.OPTION_DEFAULTS:  # plain bodies: s3rver stores aws-chunked raw
        options.update(request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="S3RVER",
                        aws_secret_access_key="S3RVER", config=Config(**options))


def keys(s3, prefix="", bucket=BUCKET):
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [o["Key"] for o in page.get("Contents", [])]
    return found


class Rig:
    """s3rver (and moto where installed) on loopback, each with the bucket, plus fault proxies."""

    def __init__(self, apex, work):
        self.apex, self.work, self.procs = apex, work, []
        self.base_env = {k: v for k, v in os.environ.items()
                         if not k.startswith(("AWS_", "S3_", "USE_S3", "API_TOKEN", "CACHE_MAX"))}
        port = rr.free_port()
        script = os.path.join(ROOT, "tests", "node_modules", "s3rver", "bin", "s3rver.js")
        if not os.path.exists(script):
            sys.exit(f"{script} is missing: run `make node-deps` (npm ci in tests/)")
        self.spawn(["node", "--openssl-legacy-provider", script, "-d", os.path.join(work, "s3rver"), "-a",
                    "127.0.0.1", "-p", str(port), "--silent", "--configure-bucket", BUCKET])
        if not rr.wait_port(port):
            sys.exit("s3rver did not start")
        self.s3rver_port = port
        self.s3rver = f"http://127.0.0.1:{port}"
        self.moto = None
        if subprocess.run([sys.executable, "-c", "import moto.server, flask"], capture_output=True).returncode == 0:
            port = rr.free_port()
            self.spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
            if rr.wait_port(port):
                self.moto_port = port
                self.moto = f"http://127.0.0.1:{port}"
                s3_client(self.moto).create_bucket(Bucket=BUCKET)

    def spawn(self, argv):
        self.procs.append(subprocess.Popen([*TIED, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def proxy(self, upstream_port):
        port = rr.free_port()
        self.spawn([sys.executable, os.path.join(TOOLS, "s3_fault_proxy.py"), "--listen", f"127.0.0.1:{port}",
                    "--upstream", f"127.0.0.1:{upstream_port}"])
        rr.wait_port(port)
        return port

    def env(self, endpoint=None, **extra):
        return {**self.base_env, "S3_BUCKET_NAME": BUCKET, "AWS_ACCESS_KEY_ID": "S3RVER",
                "AWS_SECRET_ACCESS_KEY": "S3RVER", "S3_ENDPOINT_URL": endpoint or self.s3rver, **extra}

    def run(self, args, env=None, cwd=None, user=None, timeout=600):
        """apex ARGS; (exit code, stdout and stderr together)."""
        done = subprocess.run([*(user or []), self.apex, *args], env=env or self.env(), cwd=cwd or self.work,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return done.returncode, done.stdout

    def run_on_terminal(self, args, answer, env=None):
        """apex ARGS with a terminal as stdin and stdout; answers the y/N question with `answer`."""
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(self.work)
            os.execve(self.apex, [self.apex, *args], env or self.env())
        output, answered = b"", False
        while True:
            ready, _, _ = select.select([fd], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"[y/N]" in output:
                os.write(fd, (answer + "\n").encode())
                answered = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), output.decode(errors="replace")

    def close(self):
        for p in self.procs:
            rr.stop(p)


# --- upload --delete and what could not be read -------------------------------------------

def unreadable_cases(rig, s3):
    tree = os.path.join(rig.work, "unreadable")
    for name, data in [("trackA/a.csv", "a"), ("trackB/b.csv", "b"), ("trackB/sub/c.csv", "c")]:
        write(os.path.join(tree, name), data)
    base = ["upload", tree, "--prefix", "unreadable/"]
    rig.run(base, user=NOBODY)
    write(os.path.join(tree, "trackA", "new.csv"), "new")
    os.chmod(os.path.join(tree, "trackB"), 0)
    for extra in ([], ["--delete"]):
        code, out = rig.run(base + extra, user=NOBODY)
        row(f"folder it may not read (`chmod 000`){', --delete' if extra else ''}",
            f"`trackA/a.csv`, `trackB/b.csv`, `trackB/sub/c.csv` uploaded; `trackA/new.csv` added, `trackB` made "
            f"`chmod 000`; `apex upload DIR --prefix unreadable/{' --delete' if extra else ''}` as uid 65534",
            f"exit {code}<br>" + said(out, "UNREADABLE", "FAILED", "deleted s3://", "uploaded:"),
            "bucket: " + ", ".join(k.removeprefix("unreadable/") for k in keys(s3, "unreadable/")))
    os.chmod(os.path.join(tree, "trackB"), 0o755)
    shutil.rmtree(os.path.join(tree, "trackB"))
    os.symlink(os.path.join(rig.work, "unmounted-disk"), os.path.join(tree, "trackB"))
    code, out = rig.run(base + ["--delete"])
    row("dangling symbolic link in place of a folder, --delete",
        "`trackB` replaced by a link to a folder that does not exist; `apex upload DIR --prefix unreadable/ --delete`",
        f"exit {code}<br>" + said(out, "UNREADABLE", "FAILED", "deleted s3://", "uploaded:"),
        "bucket: " + ", ".join(k.removeprefix("unreadable/") for k in keys(s3, "unreadable/")))


def prefix_cases(rig, s3):
    tree = os.path.join(rig.work, "one-file")
    write(os.path.join(tree, "x.csv"), "x")
    before = len(keys(s3))
    dotenv = os.path.join(rig.work, "dotenv")
    write(os.path.join(dotenv, ".env"), "S3_PREFIX=\n")
    cases = [
        ("blank `S3_PREFIX`, --delete", "`S3_PREFIX=` (blank) in the environment", {"S3_PREFIX": ""}, [], None),
        ("`S3_PREFIX=/`, --delete", "`S3_PREFIX=/` in the environment", {"S3_PREFIX": "/"}, [], None),
        ("`S3_PREFIX=` line in `.env`, --delete", "a `.env` holding `S3_PREFIX=`, nothing in the environment", {},
         [], dotenv),
        ("`--prefix ../`, --delete", "`--prefix ../`", {}, ["--prefix", "../"], None),
    ]
    for case, how, env, flags, cwd in cases:
        code, out = rig.run(["upload", tree, "--delete", *flags], env=rig.env(**env), cwd=cwd)
        row(case, f"{how}; `apex upload DIR --delete` (DIR holds one file) against a bucket of {before} objects "
            "(`data/`, `other-app/keep.txt` and those of the rows above)",
            f"exit {code}<br>" + said(out, "apex:", "deleted"), f"bucket: {len(keys(s3))} objects")
    # Named explicitly, on a bucket of its own.
    s3.create_bucket(Bucket="apex-safety-root")
    s3.put_object(Bucket="apex-safety-root", Key="other-app/keep.txt", Body=b"keep")
    code, out = rig.run(["upload", tree, "--bucket", "apex-safety-root", "--prefix", "", "--delete",
                         "--delete-from-bucket-root", "--yes"])
    row("empty prefix with --delete-from-bucket-root (named)",
        "bucket `apex-safety-root` holding `other-app/keep.txt`; `apex upload DIR --prefix '' --delete "
        "--delete-from-bucket-root --yes`",
        f"exit {code}<br>" + said(out, "it would delete", "deleting them", "deleted", "uploaded:"),
        "bucket: " + ", ".join(keys(s3, bucket="apex-safety-root")))


def one_track_cases(rig, s3):
    track = os.path.join(ROOT, "data", "barber-motorsports-park")
    before = len(keys(s3, "data/"))
    code, out = rig.run(["upload", track, "--delete"])
    row("one track's folder uploaded with --delete to the data root",
        f"`data/` holds 2 tracks ({before} objects); `apex upload data/barber-motorsports-park --delete` (prefix "
        "`data/`, as docs/aws-setup.md's examples)",
        f"exit {code}<br>" + said(out, "apex:", "  s3://", "deleted", limit=5),
        f"`data/`: {len(keys(s3, 'data/'))} objects")
    code, out = rig.run(["upload", track, "--prefix", "data/barber-motorsports-park/", "--delete"])
    row("the same with the track named in the prefix",
        "`apex upload data/barber-motorsports-park --prefix data/barber-motorsports-park/ --delete`",
        f"exit {code}<br>" + said(out, "uploaded:", "deleted"), f"`data/`: {len(keys(s3, 'data/'))} objects")


def max_delete_cases(rig, s3):
    tree = os.path.join(rig.work, "maxdel")
    names = [f"many/f{i:03d}.csv" for i in range(60)]

    def restore():
        for name in names + ["many/keep.csv"]:
            write(os.path.join(tree, name), name)
        rig.run(["upload", tree, "--prefix", "maxdel/"])
        for name in names:
            os.remove(os.path.join(tree, name))

    base = ["upload", tree, "--prefix", "maxdel/", "--delete"]
    sent = "60 of the 61 objects under `maxdel/many/` deleted locally (the folder keeps `keep.csv`); "
    restore()
    code, out = rig.run(base)
    row("--delete of more than --max-delete (default 50), no terminal", sent + "`apex upload DIR --delete`",
        f"exit {code}<br>" + said(out, "apex:", "deleted", limit=3), f"`maxdel/`: {len(keys(s3, 'maxdel/'))} objects")
    for answer in ("n", "y"):
        code, out = rig.run_on_terminal(base, answer)
        row(f"the same on a terminal, answered `{answer}`", sent + f"`apex upload DIR --delete` in a pty; `{answer}` typed",
            f"exit {code}<br>" + said(out, "Delete them?", "not confirmed", "uploaded:", limit=3),
            f"`maxdel/`: {len(keys(s3, 'maxdel/'))} objects")
    for flags in (["--yes"], ["--max-delete", "100"]):
        restore()
        code, out = rig.run(base + flags)
        row(f"the same with `{' '.join(flags)}`", sent + f"`apex upload DIR --delete {' '.join(flags)}`",
            f"exit {code}<br>" + said(out, "more than --max-delete", "deleting them", "uploaded:", limit=3),
            f"`maxdel/`: {len(keys(s3, 'maxdel/'))} objects")


# --- download -----------------------------------------------------------------------------

def download_cases(rig, s3):
    big, small = random_bytes(30 * MiB, 1), random_bytes(44 * 1024, 2)
    s3.put_object(Bucket=BUCKET, Key="data/collision/X", Body=big)
    s3.put_object(Bucket=BUCKET, Key="data/collision/X.apex-partial", Body=small)
    target = os.path.join(rig.work, "download")
    code, out = rig.run(["download", "collision/", target])
    held = []
    folder = os.path.join(target, "collision")  # keys keep their path under the data root
    for name, data in (("X", big), ("X.apex-partial", small)):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                mine = f.read()
            held.append(f"`{name}` {len(mine)} bytes, {'identical to' if mine == data else '**differs from**'} "
                        "its object")
        else:
            held.append(f"`{name}` **missing**")
    row("`X` and `X.apex-partial` in one folder",
        "objects `collision/X` (30 MiB) and `collision/X.apex-partial` (44 KiB); `apex download collision/ DIR`",
        f"exit {code}<br>" + said(out, "downloaded:", "FAILED"),
        "; ".join(held) + ("; nothing else in DIR/collision" if sorted(os.listdir(folder)) == ["X", "X.apex-partial"]
                           else f"; DIR/collision holds {sorted(os.listdir(folder))}"))

    # Disk full: a 4 MiB tmpfs (user namespace, no root) already holding an older X.
    full = os.path.join(rig.work, "full")
    os.makedirs(full, mode=0o777)
    os.chmod(full, 0o777)
    script = (f"mount -t tmpfs -o size=4m tmpfs {full} && mkdir {full}/collision && "
              f"printf 'old version\\n' > {full}/collision/X && {rig.apex} download collision/ {full}; "
              f"echo \"exit=$?\"; echo '--- DIR:'; ls -A {full}/collision; sha256sum {full}/collision/*")
    done = subprocess.run([*NOBODY, "unshare", "-rm", "sh", "-c", script], env=rig.env(), cwd=rig.work,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    out = done.stdout
    code = re.search(r"exit=(\d+)", out)
    listing = out.split("--- DIR:", 1)[1] if "--- DIR:" in out else ""
    names = [l for l in listing.splitlines() if l and "/" not in l]
    sums = dict((line.split()[1].rsplit("/", 1)[1], line.split()[0]) for line in listing.splitlines() if "  /" in line)
    x = sums.get("X")
    partial = sums.get("X.apex-partial")
    row("download onto a full disk",
        f"a 4 MiB tmpfs (`unshare -rm`, uid 65534) holding an older `X` (12 bytes); `apex download collision/ DIR` "
        "(30 MiB + 44 KiB)",
        f"exit {code.group(1) if code else '?'}<br>" + said(out, "FAILED", "downloaded:"),
        f"DIR/collision holds {', '.join(f'`{n}`' for n in names)}; `X` is "
        + ("the older 12 bytes, unchanged" if x == sha(b"old version\n") else "**changed**")
        + "; `X.apex-partial` " + ("identical to its object" if partial == sha(small) else "**not its object**"))


# --- interrupted multipart upload ---------------------------------------------------------

def interrupted_case(rig, server, endpoint, port):
    tree = os.path.join(rig.work, f"multipart-{server}")
    big = random_bytes(11 * MiB + 5, 3)
    write(os.path.join(tree, "big.bin"), big)
    s3 = s3_client(endpoint)
    if server == "moto":  # an upload of a file that is gone since, left open by an earlier run
        orphan = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/gone.bin")["UploadId"]
        s3.upload_part(Bucket=BUCKET, Key="mp/gone.bin", UploadId=orphan, PartNumber=1, Body=random_bytes(5 * MiB, 4))
    proxy = rig.proxy(port)
    rr.control(proxy, [{"method": "PUT", "path": "partNumber=3", "fault": "status:503", "times": -1}])
    args = ["upload", tree, "--prefix", "mp/", "--multipart-threshold", "5", "--part-size", "5", "--jobs", "1",
            "--max-attempts", "20"]
    killed = subprocess.Popen([rig.apex, *args], env=rig.env(f"http://127.0.0.1:{proxy}"), cwd=rig.work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while rr.control(proxy)["injected"].get("status:503", 0) == 0 and time.time() < deadline:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    open_after_kill = (len(s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/").get("Uploads", []))
                       if server == "moto" else None)
    code_dry, dry = rig.run(args + ["--dry-run"], env=rig.env(endpoint))
    code, out = rig.run(args, env=rig.env(endpoint))
    stored = s3.get_object(Bucket=BUCKET, Key="mp/big.bin")["Body"].read()
    sent = "`big.bin` (11 MiB + 5 bytes, 3 parts of 5 MiB) uploaded with `--jobs 1`; part 3 refused (503) until the " \
           "run is killed with SIGKILL"
    if server == "moto":
        sent += f"; {open_after_kill} incomplete uploads under `mp/` then (the killed run's and an older one of " \
                "`gone.bin`)"
        left = len(s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/").get("Uploads", []))
        after = f"incomplete uploads under `mp/`: {left}; "
    else:
        after = "incomplete uploads: s3rver cannot list them; "
    sent += "; then `apex upload ... --dry-run`, then `apex upload ...`"
    row(f"interrupted multipart upload ({server})", sent,
        f"dry run: exit {code_dry}<br>" + said(dry, "incomplete", "would resume", "would abort", limit=4) +
        f"<br>run: exit {code}<br>" + said(out, "resuming", "aborted", "incomplete", "uploaded:", limit=4),
        after + f"`mp/big.bin` {'identical to' if stored == big else '**differs from**'} the local file")


# --- apex serve: verified reads, revalidation, a file rewritten during a load ---------------

def vehicles(body):
    try:
        return {v["vehicle_id"] for v in json.loads(body)["vehicles"]}
    except (ValueError, KeyError, TypeError):
        return set()


def corruption_cases(rig, s3):
    tree = os.path.join(rig.work, "ranged-data")
    rr.write_ranged_tree(tree)
    size = os.path.getsize(os.path.join(tree, rr.RANGED_SESSION, rr.RANGED_TELEMETRY))
    rig.run(["upload", tree, "--prefix", "ranged/"])
    for folder, _, files in os.walk(tree):  # the same files as another tool puts them: no stored hash
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                s3.put_object(Bucket=BUCKET, Key="plain/" + os.path.relpath(path, tree), Body=f.read())
    local, local_port = rr.serve(rig.apex, {**rig.base_env, "DATA_DIR": tree}, rig.work, "ranged-local.log")
    _, truth = rr.get(local_port, rr.TELEMETRY)
    rr.stop(local)
    proxy = rig.proxy(rig.s3rver_port)
    cases = [
        ("uploaded by `apex upload` (`x-amz-meta-xxh128`), corrupted once", "ranged/", 1),
        ("uploaded by `apex upload`, every GET of it corrupted", "ranged/", -1),
        ("uploaded by another tool (no stored checksum), every GET of it corrupted", "plain/", -1),
    ]
    for case, prefix, times in cases:
        rr.control(proxy, [])
        server, port = rr.serve(rig.apex, rig.env(f"http://127.0.0.1:{proxy}", USE_S3_DATA="true", S3_PREFIX=prefix),
                                rig.work, "serve-ranged.log")
        rr.control(proxy, [{"method": "GET", "path": "sonoma_telemetry_R1", "fault": "corrupt", "times": times}])
        status, body = rr.get(port, rr.TELEMETRY)
        counters = rr.control(proxy)
        phantom = sorted(vehicles(body) - vehicles(truth))
        if status != 200:
            did = f"{status}: `{json.loads(body).get('detail', '')[:200]}`"
        else:
            did = "200, " + ("the same bytes as from the local folder" if body == truth else "**not the local answer**")
        if phantom:
            did += f"; vehicles not in the file: {', '.join(phantom)}"
        kept = "answer cached as shown" if status == 200 else "the failed load was not cached"
        if times == -1:
            rr.control(proxy, [])
            status, body = rr.get(port, rr.TELEMETRY)
            phantom = sorted(vehicles(body) - vehicles(truth))
            did += (f"<br>after the fault clears: {status}, "
                    + ("the same bytes" if body == truth else "**the same wrong answer, from the cache**"
                       if phantom else "**other bytes**"))
        rr.stop(server)
        row(f"same-length corruption of a ranged telemetry read: {case}",
            f"Sonoma R1 with its telemetry 8 times over ({size / MiB:.1f} MiB, read in ranges) under `{prefix}`; "
            "the proxy changes one digit of a vehicle id in a telemetry GET's body; `GET .../R1/vehicles`",
            did, f"S3 requests after the fault was set: {counters['requests']}, bodies corrupted: "
                 f"{counters['injected'].get('corrupt', 0)}; "
                 + kept)


def timed(port, path, seconds):
    """Requests path in a loop for `seconds`; (sorted latencies in ms, statuses, last headers)."""
    times, statuses, headers = [], [], {}
    end = time.time() + seconds
    while time.time() < end:
        headers = {}
        t0 = time.time()
        status, _ = rr.get(port, path, headers=headers)
        times.append((time.time() - t0) * 1000)
        statuses.append(status)
        time.sleep(0.02)
    times.sort()
    return times, statuses, {k.lower(): v for k, v in headers.items()}


def revalidation_cases(rig):
    proxy = rig.proxy(rig.s3rver_port)
    for case, fault in [("the listing stalls 10 s (a huge bucket)", "stall:10"),
                        ("every listing fails (S3 down)", "status:503")]:
        rr.control(proxy, [])
        server, port = rr.serve(rig.apex, rig.env(f"http://127.0.0.1:{proxy}", USE_S3_DATA="true"), rig.work,
                                "serve-revalidate.log")
        rr.get(port, rr.WARM)
        rr.control(proxy, [{"method": "GET", "path": rr.LISTING, "fault": fault, "times": -1}])
        time.sleep(5.5)  # past the revalidation interval
        times, statuses, headers = timed(port, rr.WARM, 4)
        _, health = rr.get(port, "/health")
        health = json.loads(health)
        counters = rr.control(proxy)
        rr.stop(server)
        stale = headers.get("x-apex-stale", "")
        row(f"revalidation while {case}",
            f"`apex serve` on s3rver, Barber R1 loaded; every LIST then gets `{fault}`; 5.5 s later (past the 5 s "
            "revalidation interval) `GET .../best-lap` in a loop for 4 s",
            f"{statuses.count(200)} of {len(statuses)} answers 200; median {times[len(times) // 2]:.1f} ms, slowest {times[-1]:.1f} ms"
            + (f"; last answer `Warning: {headers.get('warning')}`, `X-Apex-Stale: {stale[:80]}`" if stale else ""),
            f"LISTs faulted meanwhile: {counters['injected'].get(fault, 0)}; /health status `{health.get('status')}`")


def rewrite_case(rig):
    """A large local telemetry file rewritten in place (same length, every car renamed GR86 -> GR87)
    while `apex serve` loads it: is an answer ever a mix of the two versions?"""
    tree = os.path.join(rig.work, "rewrite-data")
    shutil.copytree(os.path.join(ROOT, "data", rr.RANGED_SESSION), os.path.join(tree, rr.RANGED_SESSION))
    path = os.path.join(tree, rr.RANGED_SESSION, rr.RANGED_TELEMETRY)
    with open(path, "rb") as f:
        header, rows = f.read().split(b"\n", 1)
    copies = 128  # each its own cars, so that the load lasts long enough to rewrite the file inside it
    old = header + b"\n" + b"".join(
        re.sub(rb"(GR86-\d{3}-\d+)", lambda m: m[1] + (b"%d" % c if c else b""), rows) for c in range(copies))
    new = old.replace(b"GR86-", b"GR87-")

    def version(body):
        ids = vehicles(body)
        old_ids = {i for i in ids if i.startswith("GR86-")}
        new_ids = ids - old_ids
        if not ids:
            return "no cars"
        if not new_ids:
            return f"old ({len(old_ids)} cars)"
        if not old_ids:
            return f"new ({len(new_ids)} cars)"
        return f"**MIX**: {len(old_ids)} old and {len(new_ids)} new cars"

    def trial(at_fraction, load_seconds):
        write(path, old)
        os.utime(path, (time.time() - 10, time.time() - 10))
        server, port = rr.serve(rig.apex, {**rig.base_env, "DATA_DIR": tree}, rig.work, "serve-rewrite.log")
        rr.get(port, "/api/analytics/tracks")
        answer = {}
        load = threading.Thread(target=lambda: answer.update(zip(("status", "body"), rr.get(port, rr.TELEMETRY))))
        t0 = time.time()
        load.start()
        rewritten = None
        if at_fraction is not None:
            time.sleep(at_fraction * load_seconds)
            started = time.time() - t0
            with open(path, "r+b") as f:  # in place, as a copy over the file or an editor's save does
                f.write(new)
            rewritten = (started, time.time() - t0)
        load.join()
        took = time.time() - t0
        first = f"{answer['status']} {version(answer['body'])}"
        status, body = rr.get(port, rr.TELEMETRY)
        again = f"{status} {version(body)}"
        time.sleep(6)  # past the revalidation interval: this request starts a re-listing
        status, body = rr.get(port, rr.TELEMETRY)
        later = f"{status} {version(body)}"
        time.sleep(1)
        status, body = rr.get(port, rr.TELEMETRY)
        relisted = f"{status} {version(body)}"
        rr.stop(server)
        return took, rewritten, f"{first}; next request {again}; 6 s later {later}; 1 s after that {relisted}"

    load_seconds, _, baseline = trial(None, 0)
    trials = [f"no rewrite: {load_seconds:.2f} s, {baseline}"]
    for fraction in (0.1, 0.25, 0.4, 0.55):
        took, (started, ended), outcome = trial(fraction, load_seconds)
        trials.append(f"rewritten from {started:.2f} to {ended:.2f} s of a {took:.2f} s request: {outcome}")
    row("local telemetry file rewritten in place during a load",
        f"`apex serve` on a local folder; Sonoma R1's telemetry {copies} times over ({len(old) / MiB:.0f} MiB, "
        "each copy its own cars); a cold `GET .../R1/vehicles`, and during it the file rewritten in place with every "
        "`GR86-` renamed `GR87-` (same length)",
        "<br>".join(trials), "the file holds the new version")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("apex", nargs="?", default="build/apex")
    args = parser.parse_args()
    apex = os.path.abspath(args.apex)
    work = tempfile.mkdtemp(prefix="apex-safety-")
    os.chmod(work, 0o755)  # uid 65534 runs apex in here
    rig = None
    try:
        rig = Rig(apex, work)
        s3 = s3_client(rig.s3rver)
        code, out = rig.run(["upload", os.path.join(ROOT, "data")])
        if code != 0:
            sys.exit("upload of data/ failed: " + out)
        s3.put_object(Bucket=BUCKET, Key="other-app/keep.txt", Body=b"not apex's")
        print(f"started {machine()}; s3rver 3.7.1" + (", moto" if rig.moto else ", moto not installed") + "\n")
        print("| case | sent / done | what APEX did | what the bucket or disk holds after |")
        print("|---|---|---|---|")
        unreadable_cases(rig, s3)
        prefix_cases(rig, s3)
        one_track_cases(rig, s3)
        max_delete_cases(rig, s3)
        download_cases(rig, s3)
        if rig.moto:
            interrupted_case(rig, "moto", rig.moto, rig.moto_port)
        else:
            row("interrupted multipart upload (moto)", "needs moto (`pip install 'moto[server]'`)", "not run", "")
        interrupted_case(rig, "s3rver", rig.s3rver, rig.s3rver_port)
        corruption_cases(rig, s3)
        revalidation_cases(rig)
        rewrite_case(rig)
        print(f"\nended {machine()}")
    finally:
        if rig:
            rig.close()
        subprocess.run(["chmod", "-R", "u+rwx", work], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
