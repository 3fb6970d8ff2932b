#!/usr/bin/env python3
"""An HTTP proxy in front of s3rver that checks every request's AWS Signature Version 4.

  sigv4_verifying_proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:S3PORT \
      --key ACCESS_KEY:SECRET[:SESSION_TOKEN] [--key ...] [--region us-east-1]

s3rver does not check signatures (it only knows its own account), so on its own it cannot
tell a correct signer from a wrong one. This proxy recomputes each signature with botocore
(Debian's python3-botocore, an independent implementation of the signer) from the request as
it arrived, and refuses as S3 does: SignatureDoesNotMatch, InvalidAccessKeyId,
RequestTimeTooSkewed, XAmzContentSHA256Mismatch, AuthorizationHeaderMalformed, InvalidToken,
AccessDenied for x-amz-* headers that were not signed, with S3's status codes. Requests that
pass go on to s3rver without their signature. Unsigned reads (GET, HEAD) pass too, as on a
bucket with public reads; an unsigned write is refused. Presigned URLs and aws-chunked
bodies are refused as not implemented: APEX sends neither.

The canonical request is built the way S3 builds it, not from the bytes the client chose to
send: the path and every query value are decoded and encoded again, so a client that signs
one encoding and sends another is refused.

GET /__sigv4__ on the proxy answers what it saw, for tests to say which access key signed:
  {"accepted": {"ACCESS_KEY": count}, "anonymous": count, "refused": [{"code", "key", "method", "target"}]}
"""
import datetime
import email.utils
import hashlib
import os
import re
import sys
from urllib.parse import quote, unquote, parse_qsl, urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3_fault_proxy import forward, json_answer, proxy_arguments, requests, run_until_killed, s3_error, serve  # noqa: E402,E501

CONTROL_PATH = "/__sigv4__"
MAX_SKEW = datetime.timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# s3rver knows only its own account: a request this proxy has verified goes on unsigned, as
# an anonymous one (s3rver serves those), whichever account signed it. (So a signed request
# with response-* query parameters, which s3rver refuses anonymously, is not supported.)
UNFORWARDED = (b"expect:", b"authorization:", b"x-amz-security-token:")
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$")
# The HTTP status S3 answers each refusal with (403 for the others).
STATUS = {"AuthorizationHeaderMalformed": 400, "InvalidToken": 400, "XAmzContentSHA256Mismatch": 400,
          "InvalidRequest": 400, "NotImplemented": 501}


class Refusal(Exception):
    def __init__(self, code, message, key=""):
        super().__init__(message)
        self.code, self.message, self.key = code, message, key


class Ledger:
    def __init__(self):
        self.accepted, self.anonymous, self.refused = {}, 0, []

    def as_dict(self):
        return {"accepted": self.accepted, "anonymous": self.anonymous, "refused": self.refused}


def header_values(head):
    """{lower-case name: [values in order]}: a header sent twice is signed as 'a,b'."""
    values = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            values.setdefault(name.strip().lower(), []).append(value)
    return values


class ExactHeadersSigner(S3SigV4Auth):
    """botocore's S3 signer over exactly the headers the request says it signed (botocore
    leaves out user-agent, expect and x-amzn-trace-id, which S3 accepts when signed)."""

    def __init__(self, secret, service, region, signed):
        super().__init__(Credentials("unused", secret), service, region)
        self.signed = signed

    def headers_to_sign(self, request):
        headers = HTTPHeaders()
        for name in self.signed:
            headers[name] = request.headers.get(name, "")
        return headers


def canonical_url(host, target):
    """The URL S3 signs: path and query values decoded, then encoded once."""
    parts = urlsplit(target)
    path = quote(unquote(parts.path), safe="/~")
    return f"http://{host}{path}", parse_qsl(parts.query, keep_blank_values=True)


def expected_signature(secret, method, target, values, signed_names, amz_date, region, service):
    joined = {name: ",".join(v.strip() for v in values.get(name, [])) for name in signed_names}
    url, params = canonical_url(joined.get("host", ""), target)
    request = AWSRequest(method=method, url=url, params=params, headers=joined)
    request.context["timestamp"] = amz_date
    signer = ExactHeadersSigner(secret, service, region, signed_names)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


def request_time(values, key):
    """X-Amz-Date, else Date (S3 takes either), as YYYYMMDDTHHMMSSZ."""
    if "x-amz-date" in values:
        text = values["x-amz-date"][-1].strip()
        try:
            datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ")
            return text
        except ValueError:
            raise Refusal("AccessDenied", "X-Amz-Date is not YYYYMMDDTHHMMSSZ", key)
    if "date" in values:
        try:
            return email.utils.parsedate_to_datetime(values["date"][-1]).strftime("%Y%m%dT%H%M%SZ")
        except (TypeError, ValueError):
            pass
    raise Refusal("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", key)


def verify_signature(method, target, values, keys, region):
    """Checks everything but the body; returns (access key, declared content hash), or
    ("", None) for an unsigned request; raises Refusal."""
    query_names = {name.lower() for name, _ in parse_qsl(urlsplit(target).query, keep_blank_values=True)}
    if "x-amz-signature" in query_names:
        raise Refusal("NotImplemented", "query-string (presigned) authentication is not checked by this proxy")
    if "authorization" not in values:
        if method not in ("GET", "HEAD"):
            raise Refusal("AccessDenied", "Access Denied (an unsigned request may only read)")
        return "", None
    match = AUTHORIZATION.match(values["authorization"][-1].strip())
    if not match:
        raise Refusal("AuthorizationHeaderMalformed", "the Authorization header is not AWS4-HMAC-SHA256")
    key, date, scope_region, service, signed, signature = match.groups()
    if key not in keys:
        raise Refusal("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", key)
    secret, token = keys[key]
    if service != "s3" or scope_region != region:
        raise Refusal("AuthorizationHeaderMalformed",
                      f"the credential scope names {scope_region}/{service}; expecting {region}/s3", key)
    amz_date = request_time(values, key)
    if amz_date[:8] != date:
        raise Refusal("AuthorizationHeaderMalformed", "Invalid credential date: it is not the request's date", key)
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_SKEW:
        raise Refusal("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", key)
    signed_names = signed.split(";")
    unsigned = sorted(n for n in values if n.startswith("x-amz-") and n not in signed_names)
    if unsigned:
        raise Refusal("AccessDenied", "There were headers present in the request which were not signed: "
                      + ", ".join(unsigned), key)
    if "host" not in signed_names:
        raise Refusal("AccessDenied", "host must be signed", key)
    if "x-amz-content-sha256" not in values:
        raise Refusal("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", key)
    content_sha256 = values["x-amz-content-sha256"][-1].strip()
    if content_sha256.startswith("STREAMING-"):
        raise Refusal("NotImplemented", f"{content_sha256} (aws-chunked) bodies are not checked by this proxy", key)
    sent_token = values.get("x-amz-security-token", [None])[-1]
    if (token or sent_token) and (sent_token is None or sent_token.strip() != token
                                  or "x-amz-security-token" not in signed_names):
        raise Refusal("InvalidToken", "The provided token is malformed or otherwise invalid.", key)
    if expected_signature(secret, method, target, values, signed_names, amz_date, region, service) != signature:
        raise Refusal("SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided.", key)
    return key, content_sha256


def verify_body(key, content_sha256, body):
    if content_sha256 not in (None, UNSIGNED_PAYLOAD) and content_sha256 != hashlib.sha256(body).hexdigest():
        raise Refusal("XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not match what was computed.", key)


async def read_body(reader, writer, headers):
    """The body, after 100 Continue when asked: only once the signature is known good."""
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    return await reader.readexactly(int(headers.get("content-length", "0") or 0))


async def refuse(writer, method, target, refusal, ledger):
    ledger.refused.append({"code": refusal.code, "key": refusal.key, "method": method, "target": target})
    answer = s3_error(STATUS.get(refusal.code, 403), refusal.code, refusal.message)
    writer.write(answer.split(b"\r\n\r\n")[0] + b"\r\n\r\n" if method == "HEAD" else answer)
    await writer.drain()


async def handle(reader, writer, upstream, keys, region, ledger):
    async for head, method, target, headers in requests(reader):
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await refuse(writer, method, target, Refusal("NotImplemented", "chunked request bodies are not supported"),
                         ledger)
            return
        if target.startswith(CONTROL_PATH):
            await read_body(reader, writer, headers)
            writer.write(json_answer(ledger.as_dict()))
            await writer.drain()
            continue
        try:
            key, content_sha256 = verify_signature(method, target, header_values(head), keys, region)
        except Refusal as refusal:
            # A refused request's body is not read (S3 answers before it): the connection
            # cannot be reused.
            await refuse(writer, method, target, refusal, ledger)
            if int(headers.get("content-length", "0") or 0) > 0:
                return
            continue
        body = await read_body(reader, writer, headers)
        try:
            verify_body(key, content_sha256, body)
        except Refusal as refusal:
            await refuse(writer, method, target, refusal, ledger)
            continue
        if key:
            ledger.accepted[key] = ledger.accepted.get(key, 0) + 1
        else:
            ledger.anonymous += 1
        head = b"\r\n".join(line for line in head.split(b"\r\n") if not line.lower().startswith(UNFORWARDED))
        response_head, response_body = await forward(head, body, upstream)
        writer.write(response_head.encode("latin-1") + response_body)
        await writer.drain()


def parse_keys(specs):
    keys = {}
    for spec in specs:
        fields = spec.split(":")
        if len(fields) not in (2, 3):
            sys.exit(f"--key {fields[0]}:...: expecting ACCESS_KEY:SECRET[:SESSION_TOKEN]")
        keys[fields[0]] = (fields[1], fields[2] if len(fields) == 3 else "")
    return keys


async def main():
    parser = proxy_arguments(__doc__, "HOST:PORT of s3rver")
    parser.add_argument("--key", action="append", default=[], help="ACCESS_KEY:SECRET[:SESSION_TOKEN]")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    keys, ledger = parse_keys(args.key), Ledger()
    await serve("sigv4_verifying_proxy", args.listen, args.upstream,
                lambda r, w, upstream: handle(r, w, upstream, keys, args.region, ledger), f", keys {', '.join(keys)}")


if __name__ == "__main__":
    run_until_killed(main)
