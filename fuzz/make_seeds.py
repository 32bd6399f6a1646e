#!/usr/bin/env python3
"""Writes the seed corpus (corpus/<target>/seed-*) in the byte layout that
src/lib.rs reads. Rerun after changing that layout; the fuzzer adds its own files."""
import json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
STATUSES = [201, 204, 206, 400, 401, 403, 404, 409, 429, 500, 502, 503]


def answer(status=200, ct=1, content_range=None, retry_after=None, body=b""):
    """Status mode byte(s), content-type index, optional Content-Range and
    Retry-After (flag, length, bytes), then the body."""
    out = bytearray([0] if status == 200 else [2, STATUSES.index(status)])
    out.append(ct)
    for value in (content_range, retry_after):
        if value is None:
            out.append(0)
        else:
            out += bytes([1, len(value)]) + value.encode()
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return bytes(out) + body


TOKEN = {"token_type": "Bearer", "access_token": "at-1", "refresh_token": "rt-1",
         "expires_in": 7200, "scope": "user", "sub": "u-1"}
GATEWAY_ERR = {"code": "ACCESS_TOKEN_EXPIRED", "message": "expired", "requestId": "r"}
AUTH_ERR = {"error": "invalid_grant", "error_code": 4, "error_description": "x"}

seeds = {
    "error_envelope": [answer(400, body=AUTH_ERR), answer(401, body=GATEWAY_ERR),
                       answer(503, retry_after="3", body={"code": "RESOURCE_UNAVAILABLE"}),
                       answer(500, ct=2, body="oops")],
    "token_response": [json.dumps(TOKEN).encode(), json.dumps(AUTH_ERR).encode(), b"{\"access_token\":"],
    "auth_responses": [
        b"\x00" + answer(body=TOKEN),
        b"\x01" + answer(body={"sub": "u-1", "name": "ann", "email": "a@b.co",
                               "phone_number": "+86 13800000000", "groups": [{"id": "user"}]}),
        b"\x02" + answer(body={"verification_id": "vid-1", "expires_in": 600, "is_user": True}),
        b"\x03" + answer(body={"total": 1, "data": [{"id": "github", "bind": True}]}),
        b"\x01" + answer(401, body=GATEWAY_ERR),
    ],
    "model_responses": [
        b"\x00" + answer(body={"data": {"records": [{"_id": "1", "title": "t", "done": False}], "total": 1},
                               "requestId": "r"}),
        b"\x01" + answer(body={"data": {"records": [], "total": 0}}),
        b"\x02" + answer(body={"data": {"_id": "1"}}),
        b"\x03" + answer(body={"data": {"id": "1"}}),
        b"\x04" + answer(body={"data": None}),
        b"\x00" + answer(400, body={"code": "INVALID_PARAM", "message": "bad"}),
    ],
    "rdb_responses": [
        b"\x00" + answer(body=[{"id": 1, "name": "math"}]),
        b"\x01" + answer(206, content_range="0-0/12", body=[{"id": 1}]),
        b"\x01" + answer(content_range="*/0", body=[]),
        b"\x02" + answer(body={"id": 1}),
        b"\x03" + answer(content_range="0-9/100", body=""),
        b"\x00" + answer(400, body={"code": "PGRST100", "message": "bad", "details": None, "hint": None}),
    ],
    "function_results": [
        b"\x00" + answer(body={"a": 1}),
        b"\x00" + answer(ct=2, body="plain text"),
        b"\x01" + answer(body=[1, 2, 3]),
        b"\x02" + answer(ct=3, body=b"\xff\xfe"),
        b"\x00" + answer(400, body={"code": "FUNCTION_PARAM_INVALID", "message": "bad"}),
        b"\x01" + answer(404, body={"code": "SERVICE_NOT_FOUND", "message": "none"}),
    ],
    "storage_responses": [
        b"\x00" + answer(body=[{"cloudObjectId": "a", "downloadUrl": "https://x/a"},
                               {"cloudObjectId": "b", "code": "STORAGE_FILE_NONEXIST", "message": "m"}]),
        b"\x01" + answer(body=[{"cloudObjectId": "a"}, {"cloudObjectId": "b"}]),
        b"\x00" + answer(body={"data": [{"cloudObjectId": "a", "downloadUrl": "u"}]}),
    ],
    "jwt_claims": [
        b"\x00" + json.dumps({"sub": "u-1", "exp": 1700000000, "scope": "user"}).encode(),
        b"\x01eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.sig",
        b"\x01not.a.jwt",
    ],
    "contact_normalise": [b"+86 13800138000", b"13800138000", b"+85212345678", b"a@b.co",
                          b" Ann@Example.COM ", b"+1-415-555-0100"],
    # Filter layout: column, negated, kind (0 in, 1 is, 2 group, 3 cmp), then fields.
    "postgrest_encoder": [
        bytes([1, 0, 3, 0, 3]) + b"a,b",
        bytes([0, 1, 0, 2, 4]) + b"x)(y" + bytes([1]) + b'"',
        bytes([2, 0, 2, 1, 2, 0, 0, 1, 1, 1, 0, 3, 5, 2]) + b"&#",
    ],
    "session_machine": [
        bytes([0, 0x00, 0x06, 0, 0x0e, 110, 0x40, 0x46, 0, 0x00, 0x06, 3, 0x00]),
        bytes([1, 0x0e, 101, 0x00, 0x06, 4, 0x00, 0x06, 0]),
        bytes([0, 0x00, 0x40, 0x80, 0xc0, 0x06, 2, 0x46, 5, 0x0e, 119, 0x00, 0x06, 1]),
    ],
}

root = os.path.join(HERE, "corpus")
for target, items in seeds.items():
    d = os.path.join(root, target)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.remove(os.path.join(d, f))
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(items):
        with open(os.path.join(d, f"seed-{i}"), "wb") as fh:
            fh.write(data)
print("wrote", sum(map(len, seeds.values())), "seeds for", len(seeds), "targets")
