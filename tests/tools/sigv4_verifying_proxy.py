#!/usr/bin/env python3
"""An HTTP proxy in front of s3rver that checks every request's AWS Signature Version 4.

  sigv4_verifying_proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:S3PORT \
      --key ACCESS_KEY:SECRET[:SESSION_TOKEN] [--key ...] [--region us-east-1]

s3rver accepts any signature, so on its own it cannot tell a correct signer from a wrong one.
This proxy recomputes each signature with botocore (Debian's python3-botocore, an independent
implementation of the signer) from the request as it arrived, and answers as S3 does when
they differ: 403 SignatureDoesNotMatch, InvalidAccessKeyId, RequestTimeTooSkewed,
XAmzContentSHA256Mismatch, AuthorizationHeaderMalformed, InvalidToken. Requests that pass go
on to s3rver without their signature (s3rver knows only its own account). Unsigned requests pass too, as on a bucket with public reads.

The canonical request is built the way S3 builds it, not from the bytes the client chose to
send: the path and every query value are decoded and encoded again, so a client that signs
one encoding and sends another is refused.

GET /__sigv4__ on the proxy answers what it saw, for tests to say which access key signed:
  {"accepted": {"ACCESS_KEY": count}, "anonymous": count, "refused": [{"code", "key", "method", "target"}]}
"""
import argparse
import asyncio
import datetime
import hashlib
import json
import os
import re
import sys
from urllib.parse import quote, unquote, parse_qsl, urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3_fault_proxy import forward, read_message_head, s3_error  # noqa: E402

CONTROL_PATH = "/__sigv4__"
MAX_SKEW = datetime.timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# s3rver knows only its own account: a request this proxy has verified goes on unsigned, as
# an anonymous one (s3rver serves those), whichever account signed it.
UNFORWARDED = (b"expect:", b"authorization:", b"x-amz-security-token:")
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$")


class Refusal(Exception):
    def __init__(self, code, message, key=""):
        super().__init__(message)
        self.code, self.message, self.key = code, message, key


class Ledger:
    def __init__(self):
        self.accepted, self.anonymous, self.refused = {}, 0, []

    def as_json(self):
        return json.dumps({"accepted": self.accepted, "anonymous": self.anonymous, "refused": self.refused})


def canonical_url(host, target):
    """The URL S3 signs: path and query values decoded, then encoded once."""
    parts = urlsplit(target)
    path = quote(unquote(parts.path), safe="/~")
    return f"http://{host}{path}", parse_qsl(parts.query, keep_blank_values=True)


def expected_signature(secret, method, target, headers, signed_names, amz_date, region, service):
    host = headers.get("host", "")
    url, params = canonical_url(host, target)
    request = AWSRequest(method=method, url=url, params=params,
                         headers={name: headers.get(name, "") for name in signed_names})
    request.context["timestamp"] = amz_date
    signer = S3SigV4Auth(Credentials("unused", secret), service, region)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


def verify(method, target, headers, body, keys, region):
    """Returns the access key that signed, "" for an unsigned request; raises Refusal."""
    authorization = headers.get("authorization")
    if authorization is None:
        if "x-amz-signature" in target.lower():
            raise Refusal("NotImplemented", "query-string (presigned) authentication is not checked by this proxy")
        return ""
    match = AUTHORIZATION.match(authorization)
    if not match:
        raise Refusal("AuthorizationHeaderMalformed", "the Authorization header is not AWS4-HMAC-SHA256")
    key, date, scope_region, service, signed, signature = match.groups()
    if key not in keys:
        raise Refusal("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", key)
    secret, token = keys[key]
    if service != "s3" or scope_region != region:
        raise Refusal("AuthorizationHeaderMalformed",
                      f"the credential scope names {scope_region}/{service}; expecting {region}/s3", key)
    amz_date = headers.get("x-amz-date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Refusal("AccessDenied", "X-Amz-Date is missing or not YYYYMMDDTHHMMSSZ", key)
    if amz_date[:8] != date:
        raise Refusal("SignatureDoesNotMatch", "the credential scope's date is not X-Amz-Date's", key)
    if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_SKEW:
        raise Refusal("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", key)
    signed_names = signed.split(";")
    for required in ("host", "x-amz-date", "x-amz-content-sha256"):
        if required not in signed_names:
            raise Refusal("AccessDenied", f"{required} must be signed", key)
    if token and (headers.get("x-amz-security-token") != token or "x-amz-security-token" not in signed_names):
        raise Refusal("InvalidToken", "The provided token is malformed or otherwise invalid.", key)
    content_sha256 = headers.get("x-amz-content-sha256", "")
    if content_sha256 != UNSIGNED_PAYLOAD and content_sha256 != hashlib.sha256(body).hexdigest():
        raise Refusal("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", key)
    if expected_signature(secret, method, target, headers, signed_names, amz_date, region, service) != signature:
        raise Refusal("SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided.", key)
    return key


async def read_body(reader, writer, headers):
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    return await reader.readexactly(int(headers.get("content-length", "0") or 0))


async def handle(reader, writer, upstream, keys, region, ledger):
    try:
        while True:
            try:
                head, request_line, headers = await read_message_head(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if "chunked" in headers.get("transfer-encoding", "").lower():
                writer.write(s3_error(501, "NotImplemented", "chunked request bodies are not supported"))
                return
            body = await read_body(reader, writer, headers)
            method, target = request_line.split(" ")[0], request_line.split(" ")[1]
            if target.startswith(CONTROL_PATH):
                answer = ledger.as_json().encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(answer)).encode() + b"\r\n\r\n" + answer)
                await writer.drain()
                continue
            try:
                key = verify(method, target, headers, body, keys, region)
            except Refusal as refusal:
                ledger.refused.append({"code": refusal.code, "key": refusal.key, "method": method, "target": target})
                answer = s3_error(403 if refusal.code != "NotImplemented" else 501, refusal.code, refusal.message)
                writer.write(answer.split(b"\r\n\r\n")[0] + b"\r\n\r\n" if method == "HEAD" else answer)
                await writer.drain()
                continue
            if key:
                ledger.accepted[key] = ledger.accepted.get(key, 0) + 1
            else:
                ledger.anonymous += 1
            head = b"\r\n".join(line for line in head.split(b"\r\n") if not line.lower().startswith(UNFORWARDED))
            response_head, response_body = await forward(head, body, upstream)
            writer.write(response_head.encode("latin-1") + response_body)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def parse_keys(specs):
    keys = {}
    for spec in specs:
        fields = spec.split(":")
        if len(fields) not in (2, 3):
            sys.exit(f"--key {fields[0]}:...: expecting ACCESS_KEY:SECRET[:SESSION_TOKEN]")
        keys[fields[0]] = (fields[1], fields[2] if len(fields) == 3 else "")
    return keys


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of s3rver")
    parser.add_argument("--key", action="append", default=[], help="ACCESS_KEY:SECRET[:SESSION_TOKEN]")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    keys, ledger = parse_keys(args.key), Ledger()
    listen_host, listen_port = args.listen.rsplit(":", 1)
    up_host, up_port = args.upstream.rsplit(":", 1)
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, (up_host, int(up_port)), keys, args.region, ledger), listen_host, int(listen_port))
    print(f"sigv4_verifying_proxy: {args.listen} -> {args.upstream}, keys {', '.join(keys)}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
