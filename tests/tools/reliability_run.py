#!/usr/bin/env python3
"""Fault injection between apex and a real local S3 server, with the table of
bench/reliability.md as output.

  python3 tests/tools/reliability_run.py BUILD_DIR/apex

Starts s3rver (tests/node_modules), uploads data/ with `apex upload`, puts
s3_fault_proxy.py in front of it, and for each fault starts a fresh `apex serve` reading
the bucket through the proxy. In each run, Barber R1 is loaded first (warm) without faults;
then the fault is switched on for the Sonoma R1 objects and
  - a cold request for Sonoma R1 /laps is sent, and compared byte for byte with the same
    request to `apex serve` on the local data/ folder (the truth);
  - meanwhile, warm Barber R1 requests are sent in a loop: they must all answer 200.
Prints one markdown row per fault: what was sent, what apex answered, errors seen by the
warm requests, whether the answer equals the truth, and the proxy's counters.

  python3 tests/tools/reliability_run.py --check BUILD_DIR/apex

is the test (ctest `fault_injection`): a shorter set of faults whose outcomes it asserts, and
exits non-zero when one does not hold: answers after retried faults are byte-identical to
the truth; a body cut short (dropped or truncated, once or on every attempt) is never
served: the answer is the truth or a 503, and the next request after the fault clears
gets the truth; warm requests meanwhile all answer 200; same-length corruption of a range of
a telemetry file read in ranges (one larger than a range, uploaded by `apex upload` with
its x-amz-meta-xxh128) is never served: the answer is the truth after a re-read, or a 503
naming the file, never a phantom car; when re-listing the bucket fails,
the cached answer is served, the same bytes, with `Warning: 110` and `X-Apex-Stale`, and
/health says degraded.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUCKET = "apex-reliability"
# Children started through setpriv --pdeathsig (util-linux): the kernel kills them when this
# script dies, a crash included, so a failed run never leaves servers behind.
TIED = ["setpriv", "--pdeathsig", "KILL", "--"]
COLD = "/api/analytics/track/sonoma-raceway/session/R1/laps"
WARM = "/api/analytics/track/barber-motorsports-park/session/R1/best-lap"
OBJECTS = "sonoma-raceway/Sonoma/Race%201"  # the Sonoma R1 files, as the proxy sees them

SCENARIOS = [
    ("none (baseline)", []),
    ("503 twice on each Sonoma R1 GET", [{"method": "GET", "path": OBJECTS, "fault": "status:503", "times": 2}]),
    ("500 on the first 3 Sonoma R1 GETs", [{"method": "GET", "path": OBJECTS, "fault": "status:500", "times": 3}]),
    ("SlowDown on the first 4 Sonoma R1 GETs", [{"method": "GET", "path": OBJECTS, "fault": "slowdown", "times": 4}]),
    ("connection reset on the first 3 Sonoma R1 GETs", [{"method": "GET", "path": OBJECTS, "fault": "reset", "times": 3}]),
    ("body dropped mid-way on the first 3 Sonoma R1 GETs",
     [{"method": "GET", "path": OBJECTS, "fault": "drop-mid-body", "times": 3}]),
    ("body truncated with a matching Content-Length, first 3 Sonoma R1 GETs",
     [{"method": "GET", "path": OBJECTS, "fault": "truncate", "times": 3}]),
    ("2 s stall after the headers, every Sonoma R1 GET", [{"method": "GET", "path": OBJECTS, "fault": "stall:2", "times": -1}]),
    ("503 on every Sonoma R1 GET (never recovers)", [{"method": "GET", "path": OBJECTS, "fault": "status:503", "times": -1}]),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def get(port, path, timeout=120, headers=None):
    """(status, body), and the answer's headers into `headers` when a dict is given."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            if headers is not None:
                headers.update(r.headers.items())
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        if headers is not None:
            headers.update(e.headers.items())
        return e.code, e.read()
    except Exception as e:  # connection errors count as errors seen
        return 0, str(e).encode()


def control(proxy_port, rules=None):
    data = None if rules is None else json.dumps(rules).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{proxy_port}/__faults__", data=data,
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def serve(apex, env, work, log_name):
    port = free_port()
    log = open(os.path.join(work, log_name), "w")
    proc = subprocess.Popen([*TIED, apex, "serve", "--port", str(port)], env=env, cwd=work, stdout=log,
                            stderr=subprocess.STDOUT)
    if not wait_port(port):
        sys.exit(f"apex serve did not start, see {log.name}")
    return proc, port


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


class Rig:
    """s3rver holding data/ (uploaded by `apex upload`), fault proxies in front of it, and
    `apex serve` on the local data/ folder for the true answers."""

    def __init__(self, apex, work, proxies=1):
        self.apex, self.work, self.procs = apex, work, []
        try:
            self.start(proxies)
        except BaseException:  # sys.exit included: leave no server behind
            self.close()
            raise

    def start(self, proxies):
        apex, work = self.apex, self.work
        self.base_env = {k: v for k, v in os.environ.items()
                         if not k.startswith(("AWS_", "S3_", "USE_S3", "API_TOKEN", "CACHE_MAX"))}
        self.s3_port = s3_port = free_port()
        s3rver = os.path.join(ROOT, "tests", "node_modules", "s3rver", "bin", "s3rver.js")
        if not os.path.exists(s3rver):
            sys.exit(f"{s3rver} is missing: run `make node-deps` (npm ci in tests/)")
        self.procs.append(subprocess.Popen([*TIED, "node", "--openssl-legacy-provider", s3rver, "-d",
                                            os.path.join(work, "s3"), "-a", "127.0.0.1", "-p", str(s3_port),
                                            "--silent", "--configure-bucket", BUCKET],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_port(s3_port):
            sys.exit("s3rver did not start (run `make node-deps`)")
        self.s3_env = {**self.base_env, "S3_BUCKET_NAME": BUCKET, "AWS_ACCESS_KEY_ID": "S3RVER",
                       "AWS_SECRET_ACCESS_KEY": "S3RVER"}
        up = subprocess.run([apex, "upload", os.path.join(ROOT, "data")],
                            env={**self.s3_env, "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}"}, cwd=work,
                            capture_output=True, text=True)
        if up.returncode != 0:
            sys.exit("upload failed: " + up.stdout + up.stderr)
        self.proxy_ports = []
        for _ in range(proxies):
            port = free_port()
            self.procs.append(subprocess.Popen([*TIED, sys.executable, os.path.join(ROOT, "tests", "tools",
                                                                             "s3_fault_proxy.py"),
                                                "--listen", f"127.0.0.1:{port}", "--upstream",
                                                f"127.0.0.1:{s3_port}"], stderr=subprocess.DEVNULL))
            wait_port(port)
            self.proxy_ports.append(port)
        local, self.local_port = serve(apex, {**self.base_env, "DATA_DIR": os.path.join(ROOT, "data")}, work,
                                       "local.log")
        self.procs.append(local)

    def truth(self, path):
        status, body = get(self.local_port, path)
        assert status == 200, (path, status, body[:300])
        return body

    def serve_s3(self, proxy_port, log_name="serve.log", extra_env=None):
        """A fresh `apex serve` reading the bucket through the proxy on proxy_port."""
        env = {**self.s3_env, "USE_S3_DATA": "true", "S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}",
               **(extra_env or {})}
        return serve(self.apex, env, self.work, log_name)

    def close(self):
        for p in self.procs:
            stop(p)


class WarmLoop:
    """Requests a warm session in a loop on another thread while a fault is being served."""

    def __init__(self, port):
        self.port, self.ok, self.errors = port, 0, 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while True:  # at least one request, however quick the cold one is
            status, _ = get(self.port, WARM, timeout=10)
            if status == 200:
                self.ok += 1
            else:
                self.errors += 1
            if self.stop_flag.wait(0.02):
                break

    def stop(self):
        self.stop_flag.set()
        self.thread.join()


def table(rig):
    truth = rig.truth(COLD)
    proxy_port = rig.proxy_ports[0]
    print("| fault (Sonoma R1 objects) | cold /laps answer | same bytes as local | time | warm requests meanwhile (errors) | S3 requests / faults injected |")
    print("|---|---|---|---|---|---|")
    for name, rules in SCENARIOS:
        control(proxy_port, [])
        server, port = rig.serve_s3(proxy_port)
        assert get(port, WARM)[0] == 200
        control(proxy_port, rules)
        warm = WarmLoop(port)
        started = time.time()
        status, body = get(port, COLD)
        elapsed = time.time() - started
        warm.stop()
        counters = control(proxy_port)
        problems = []
        if status == 200 and body != truth:
            # Not the truth: say what the session reports about its files.
            files_status, files = get(port, COLD.rsplit("/", 1)[0] + "/files")
            if files_status == 200:
                problems = json.loads(files).get("problems", [])
        stop(server)
        if status == 200:
            same = "yes" if body == truth else "**NO**"
            answer = "200" + (f" ({len(problems)} problems, first: {problems[0][:150]})" if problems else "")
        else:
            same = "n/a (no data served)"
            detail = json.loads(body).get("detail", "") if body.startswith(b"{") else body.decode()[:80]
            answer = f"{status}: {detail[:110]}"
        injected = ", ".join(f"{k} x{v}" for k, v in counters["injected"].items()) or "none"
        print(f"| {name} | {answer} | {same} | {elapsed:.2f} s | {warm.ok} x 200 ({warm.errors} errors) "
              f"| {counters['requests']} / {injected} |", flush=True)


# --check: each case is (name, rules for the Sonoma R1 GETs, what the cold answer may be).
# "truth": 200 with the local bytes. "truth-or-503": never a partial answer; a 503 is allowed
# (the fault outlasted the retries), after which the next request must get the truth.
CHECKS = [
    ("503 twice on each GET", [{"method": "GET", "path": OBJECTS, "fault": "status:503", "times": 2}], "truth"),
    ("SlowDown on the first 2 GETs", [{"method": "GET", "path": OBJECTS, "fault": "slowdown", "times": 2}],
     "truth"),
    ("connection reset on the first 2 GETs", [{"method": "GET", "path": OBJECTS, "fault": "reset", "times": 2}],
     "truth"),
    ("body dropped mid-way on the first 2 GETs",
     [{"method": "GET", "path": OBJECTS, "fault": "drop-mid-body", "times": 2}], "truth"),
    ("body truncated (matching Content-Length) on the first 2 GETs",
     [{"method": "GET", "path": OBJECTS, "fault": "truncate", "times": 2}], "truth"),
    ("body truncated (matching Content-Length) on every GET",
     [{"method": "GET", "path": OBJECTS, "fault": "truncate", "times": -1}], "503"),
    ("503 on every GET", [{"method": "GET", "path": OBJECTS, "fault": "status:503", "times": -1}], "503"),
]
LISTING = r"list-type=2"

# A telemetry file larger than two read ranges (8 MiB each at the least), so that `apex serve`
# reads it from S3 in ranges at once: Sonoma R1's rows, eight times over with the cars
# renamed, under its own prefix of the bucket (`apex upload` gives it x-amz-meta-xxh128: s3rver keeps no
# x-amz-checksum-crc32c).
RANGED_PREFIX = "ranged/"
RANGED_SESSION = "sonoma-raceway/Sonoma/Race 1"
RANGED_TELEMETRY = "sonoma_telemetry_R1.csv"
RANGED_COPIES = 8
TELEMETRY = "/api/telemetry/track/sonoma-raceway/session/R1/vehicles"
RANGED_CHECKS = [
    ("one range of the telemetry corrupted once (same length)",
     [{"method": "GET", "path": "sonoma_telemetry_R1", "fault": "corrupt", "times": 1}], "truth"),
    ("every telemetry GET corrupted (same length)",
     [{"method": "GET", "path": "sonoma_telemetry_R1", "fault": "corrupt", "times": -1}], "503"),
]


def check(rig):
    failures = []

    def expect(ok, case, what):
        print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            failures.append(f"{case}: {what}")

    truth = rig.truth(COLD)
    warm_truth = rig.truth(WARM)
    stale = threading.Thread(target=check_stale, args=(rig, rig.proxy_ports[1], expect))
    stale.start()  # waits out the revalidation interval beside the other cases
    proxy_port = rig.proxy_ports[0]
    for name, rules, outcome in CHECKS:
        control(proxy_port, [])
        server, port = rig.serve_s3(proxy_port)
        try:
            print(f"{name}:", flush=True)
            status, body = get(port, WARM)
            expect(status == 200 and body == warm_truth, name, "warm session loaded without faults")
            control(proxy_port, rules)
            warm = WarmLoop(port)
            status, body = get(port, COLD)
            warm.stop()
            counters = control(proxy_port)
            expect(sum(counters["injected"].values()) > 0, name, f"faults injected: {counters['injected']}")
            if outcome == "truth":
                expect(status == 200 and body == truth, name,
                       f"cold answer {status}, byte-identical to the local one: {body == truth}")
            else:
                expect(status == 503, name, f"cold answer {status} (503 expected: nothing partial served)")
                control(proxy_port, [])
                status, body = get(port, COLD)
                expect(status == 200 and body == truth, name,
                       f"after the fault clears: {status}, byte-identical: {body == truth}")
            expect(warm.errors == 0 and warm.ok > 0, name,
                   f"warm requests meanwhile: {warm.ok} x 200, {warm.errors} errors")
        finally:
            stop(server)
    check_ranged_telemetry(rig, proxy_port, expect)
    stale.join()
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall fault-injection checks passed")
    return 0


def write_ranged_tree(root):
    """The Sonoma R1 files with RANGED_COPIES copies of the telemetry rows, each copy's cars
    renamed (GR86-031-45, GR86-031-451, ...), so that no sample repeats another: the proxy's
    changed chassis digit (GR86-131-45) then makes a phantom car, which shows in the answer."""
    source = os.path.join(ROOT, "data", RANGED_SESSION)
    target = os.path.join(root, RANGED_SESSION)
    shutil.copytree(source, target)
    with open(os.path.join(source, RANGED_TELEMETRY), "rb") as f:
        header, rows = f.read().split(b"\n", 1)
    with open(os.path.join(target, RANGED_TELEMETRY), "wb") as f:
        f.write(header + b"\n")
        for copy in range(RANGED_COPIES):  # each copy its own cars, so no row repeats another
            f.write(re.sub(rb"(GR86-\d{3}-\d+)", lambda m: m[1] + (b"%d" % copy if copy else b""), rows))


def check_ranged_telemetry(rig, proxy_port, expect):
    tree = os.path.join(rig.work, "ranged-data")
    write_ranged_tree(tree)
    up = subprocess.run([rig.apex, "upload", tree, "--prefix", RANGED_PREFIX],
                        env={**rig.s3_env, "S3_ENDPOINT_URL": f"http://127.0.0.1:{rig.s3_port}"}, cwd=rig.work,
                        capture_output=True, text=True)
    expect(up.returncode == 0, "ranged telemetry", f"uploaded: {up.returncode} {up.stderr[-200:]}")
    local, local_port = serve(rig.apex, {**rig.base_env, "DATA_DIR": tree}, rig.work, "ranged-local.log")
    try:
        status, truth = get(local_port, TELEMETRY)
        expect(status == 200, "ranged telemetry", f"local answer {status}")
    finally:
        stop(local)
    for name, rules, outcome in RANGED_CHECKS:
        control(proxy_port, [])
        server, port = rig.serve_s3(proxy_port, "serve-ranged.log", {"S3_PREFIX": RANGED_PREFIX})
        try:
            print(f"{name}:", flush=True)
            control(proxy_port, rules)
            status, body = get(port, TELEMETRY)
            counters = control(proxy_port)
            expect(counters["injected"].get("corrupt", 0) > 0, name, f"faults injected: {counters['injected']}")
            if outcome == "truth":
                expect(status == 200 and body == truth, name,
                       f"answer {status}, byte-identical to the local one: {body == truth}")
            else:
                detail = body.decode(errors="replace")
                expect(status == 503 and RANGED_TELEMETRY in detail and "checksum did not match" in detail, name,
                       f"answer {status} naming the file and the checksum: {detail[:160]}")
                control(proxy_port, [])
                status, body = get(port, TELEMETRY)
                expect(status == 200 and body == truth, name,
                       f"after the fault clears: {status}, byte-identical: {body == truth}")
        finally:
            stop(server)


def check_stale(rig, proxy_port, expect):
    name = "re-listing fails"
    server, port = rig.serve_s3(proxy_port, "serve-stale.log")
    try:
        status, before = get(port, WARM)
        ok = status == 200
        # Every LIST fails from now on; after the revalidation interval (5 s) a request starts
        # a re-listing in the background and is answered from the cache; once that listing has
        # failed, answers (still from the cache) say so.
        control(proxy_port, [{"method": "GET", "path": LISTING, "fault": "status:503", "times": -1}])
        time.sleep(5.5)
        answers = []
        for _ in range(60):
            headers = {}
            status, after = get(port, WARM, headers=headers)
            headers = {k.lower(): v for k, v in headers.items()}
            answers.append((status, after == before))
            if headers.get("warning"):
                break
            time.sleep(0.25)
        expect(all(a == (200, True) for a in answers), name,
               f"every answer meanwhile from the cache: {len(answers)} answers, all 200 and the same bytes")
        _, health = get(port, "/health")
        health = json.loads(health)
        counters = control(proxy_port)
        print(f"{name}:", flush=True)
        expect(ok, name, "warm session loaded without faults")
        expect(counters["injected"].get("status:503", 0) > 0, name, f"listings failed: {counters['injected']}")
        expect(status == 200 and after == before, name, f"cached answer served: {status}, same bytes: {after == before}")
        expect(headers.get("warning", "").startswith("110"), name, f"Warning: {headers.get('warning')}")
        expect(bool(headers.get("x-apex-stale")), name, f"X-Apex-Stale: {headers.get('x-apex-stale', '')[:80]}")
        expect(health.get("status") == "degraded" and health.get("stale"), name,
               f"/health status {health.get('status')}, stale set: {bool(health.get('stale'))}")
    finally:
        stop(server)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="assert the outcomes of a short set of faults")
    parser.add_argument("apex", nargs="?", default="build/apex")
    args = parser.parse_args()
    apex = os.path.abspath(args.apex)
    work = tempfile.mkdtemp(prefix="apex-reliability-")
    rig = None
    try:
        rig = Rig(apex, work, proxies=2 if args.check else 1)
        return check(rig) if args.check else table(rig)
    finally:
        if rig:
            rig.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
