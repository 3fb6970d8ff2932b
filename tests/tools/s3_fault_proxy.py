#!/usr/bin/env python3
"""An HTTP proxy between apex and a local S3 server (s3rver, moto) that injects faults.

  s3_fault_proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:S3PORT

Point apex's S3_ENDPOINT_URL at the proxy. Requests pass through unchanged (Host header
and signature included, so the upstream still checks them) until a rule matches. Rules
are set at run time by POSTing JSON to /__faults__ on the proxy itself (apex never sends
that path); GET /__faults__ returns the counters.

  [{"method": "GET", "path": "sonoma.*lap_time", "fault": "drop-mid-body", "times": 2}, ...]

method and path (a regular expression searched in the request target) select requests;
times is how many matching requests get the fault (-1: all). Faults:
  status:500, status:503   an S3 XML error with that status (InternalError / ServiceUnavailable)
  slowdown                 503 SlowDown, S3's throttling answer
  reset                    close the connection without answering
  drop-mid-body            forward; send the headers and half the body, then close
  truncate                 forward; send half the body with a Content-Length that matches it
                           (looks complete: only a length or MD5 check catches it)
  corrupt                  forward; change one digit in the second half of the body to another,
                           same length: a vehicle id's (GR86-NNN) when there is one, so that
                           telemetry grows a phantom car; a CSV still parses, only a
                           checksum of the content catches it
  stall:SECONDS            forward; send the headers, wait, then the body
  delay:SECONDS            wait before forwarding
"""
import argparse
import asyncio
import json
import re
import sys

CONTROL_PATH = "/__faults__"


class Faults:
    def __init__(self):
        self.rules = []
        self.requests = 0
        self.injected = {}

    def pick(self, method, target):
        for rule in self.rules:
            if rule.get("method", method) != method or not re.search(rule.get("path", ""), target):
                continue
            if rule.get("times", -1) == 0:
                continue
            if rule.get("times", -1) > 0:
                rule["times"] -= 1
            self.injected[rule["fault"]] = self.injected.get(rule["fault"], 0) + 1
            return rule["fault"]
        return None


FAULTS = Faults()


async def read_message_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return head, lines[0], headers


def s3_error(status, code, message):
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()
    reason = {500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def json_answer(payload):
    """A 200 answer from the proxy itself, for its control path."""
    body = json.dumps(payload).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + \
        b"\r\n\r\n" + body


async def forward(head, body, upstream):
    """Sends one request upstream on a fresh connection; returns (response head, body)."""
    host, port = upstream
    reader, writer = await asyncio.open_connection(host, port)
    # One request per upstream connection: the end of the answer is the end of the stream.
    lines = [l for l in head.decode("latin-1").split("\r\n")[:-2] if not l.lower().startswith("connection:")]
    writer.write(("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    split = data.find(b"\r\n\r\n")
    response_head, response_body = data[: split + 4], data[split + 4:]
    # Keep the client's connection open whatever the upstream said about its own.
    kept = [l for l in response_head.decode("latin-1").split("\r\n")[:-2] if not l.lower().startswith("connection:")]
    return "\r\n".join(kept) + "\r\n\r\n", response_body


def corrupt_digit(body):
    """body with one digit of its second half changed: the first of a vehicle id if any."""
    vehicle = body.find(b"GR86-", len(body) // 2)
    start = vehicle + len(b"GR86-") if vehicle >= 0 else len(body) // 2
    for i in range(start, len(body)):
        if 48 <= body[i] <= 57:
            return body[:i] + bytes([48 + (body[i] - 48 + 1) % 10]) + body[i + 1:]
    return body


def with_length(head, length):
    lines = [l for l in head.split("\r\n")[:-2] if not l.lower().startswith("content-length:")]
    return ("\r\n".join(lines) + f"\r\nContent-Length: {length}\r\n\r\n").encode("latin-1")


async def requests(reader):
    """Each request on a keep-alive connection, (head, method, target, headers), until the
    client closes it."""
    while True:
        try:
            head, request_line, headers = await read_message_head(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        yield head, request_line.split(" ")[0], request_line.split(" ")[1], headers


async def handle(reader, writer, upstream):
    async for head, method, target, headers in requests(reader):
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        if target.startswith(CONTROL_PATH):
            if method == "POST":
                FAULTS.rules = json.loads(body or b"[]")
                FAULTS.requests, FAULTS.injected = 0, {}
            writer.write(json_answer({"requests": FAULTS.requests, "injected": FAULTS.injected}))
            await writer.drain()
            continue
        FAULTS.requests += 1
        fault = FAULTS.pick(method, target) or "pass"
        if fault == "reset":
            return
        if fault in ("status:500", "status:503", "slowdown"):
            status = 500 if fault == "status:500" else 503
            code = {"status:500": "InternalError", "status:503": "ServiceUnavailable"}.get(fault, "SlowDown")
            writer.write(s3_error(status, code, "injected by s3_fault_proxy"))
            await writer.drain()
            continue
        if fault.startswith("delay:"):
            await asyncio.sleep(float(fault.split(":")[1]))
        response_head, response_body = await forward(head, body, upstream)
        if fault == "drop-mid-body" and len(response_body) > 1:
            writer.write(response_head.encode("latin-1") + response_body[: len(response_body) // 2])
            await writer.drain()
            return
        if fault == "truncate" and len(response_body) > 1:
            half = response_body[: len(response_body) // 2]
            writer.write(with_length(response_head, len(half)) + half)
            await writer.drain()
            continue
        if fault == "corrupt":
            response_body = corrupt_digit(response_body)
        if fault.startswith("stall:"):
            writer.write(response_head.encode("latin-1"))
            await writer.drain()
            await asyncio.sleep(float(fault.split(":")[1]))
            writer.write(response_body)
            await writer.drain()
            continue
        writer.write(response_head.encode("latin-1") + response_body)
        await writer.drain()


def proxy_arguments(description, upstream_help):
    """The command line every proxy here shares: --listen HOST:PORT --upstream HOST:PORT."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    parser.add_argument("--upstream", required=True, help=upstream_help)
    return parser


async def serve(name, listen, upstream, handler, detail=""):
    """Serves handler(reader, writer, (upstream host, port)) on listen until killed; a client
    that goes away ends its connection quietly."""
    listen_host, listen_port = listen.rsplit(":", 1)
    up_host, up_port = upstream.rsplit(":", 1)

    async def connection(reader, writer):
        try:
            await handler(reader, writer, (up_host, int(up_port)))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, listen_host, int(listen_port))
    print(f"{name}: {listen} -> {upstream}{detail}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


def run_until_killed(main):
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


async def main():
    args = proxy_arguments(__doc__, "HOST:PORT of the S3 server").parse_args()
    await serve("s3_fault_proxy", args.listen, args.upstream, handle)


if __name__ == "__main__":
    run_until_killed(main)
