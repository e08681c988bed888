"""schemathesis hooks for scripts/fuzz-api.sh (SCHEMATHESIS_HOOKS=hooks, PYTHONPATH=fuzz/api).

- Links for the stateful phase (central/openapi.json has none): enrol -> push with the new
  desk's credential, push -> pull, pull -> pull with the returned cursor.
- In half of the cases (chosen by a checksum of the body): a valid resident ID number for the
  tracing and risk/confirm queries, and for enrol a real one-time token (made by
  `admin enrol-token`, one a line in the file named by PLACECODE_FUZZ_ENROL_TOKENS) with an
  acceptable desk, so an enrolment succeeds and a stateful chain goes on as the new desk.
- PLACECODE_FUZZ_GZIP=1: every JSON request body is sent gzip-compressed with
  `Content-Encoding: gzip` (the API decompresses request bodies: RequestDecompressionLayer).
"""

import gzip
import json
import os
import uuid
import zlib

import schemathesis
from schemathesis.transport.requests import REQUESTS_TRANSPORT
from schemathesis.transport.serialization import serialize_json

_TOKENS = []
_path = os.environ.get("PLACECODE_FUZZ_ENROL_TOKENS")
if _path and os.path.exists(_path):
    with open(_path, encoding="utf-8") as f:
        _TOKENS = [line.strip() for line in f if line.strip()]


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    paths = raw_schema.get("paths", {})

    def link(path, method, status, name, target):
        op = paths.get(path, {}).get(method)
        if op is None:
            return
        response = op.setdefault("responses", {}).setdefault(status, {"description": "ok"})
        response.setdefault("links", {})[name] = target

    link("/api/v1/enrol", "post", "200", "PushAsEnrolledDesk", {
        "operationId": "push",
        "parameters": {"header.Authorization": "Bearer {$response.body#/credential}"},
    })
    link("/api/v1/enrol", "post", "200", "PullAsEnrolledDesk", {
        "operationId": "pull",
        "parameters": {"header.Authorization": "Bearer {$response.body#/credential}", "cursor": 0},
    })
    link("/api/v1/push", "post", "200", "PullAfterPush", {"operationId": "pull", "parameters": {"cursor": 0}})
    link("/api/v1/pull", "get", "200", "PullNext", {
        "operationId": "pull",
        "parameters": {"cursor": "$response.body#/cursor"},
    })


# Checksum-valid resident ID numbers (the fuzz seeds'; the seed push stores visits for them):
# schema-valid strings are almost never valid ID numbers, so without these the tracing and
# risk/confirm queries would never get past validation.
_IDS = ["410202199003070014", "410204198512311232", "11010519491231002X"]


def _half(body):
    """A deterministic half of the cases (Python's str hash is salted per process)."""
    return zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode("utf-8")) % 2 == 0


def _phase(case):
    meta = getattr(case, "_meta", None) or getattr(case, "meta", None)
    return str(getattr(getattr(meta, "phase", None), "name", ""))


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Edits here are revalidated by schemathesis (a case it made invalid on purpose stays
    # marked as such only if it still is), unlike edits in map_* hooks.
    body = case.body
    if not isinstance(body, dict) or not _half(body):
        return
    path = case.operation.path
    if path in ("/api/v1/trace/person", "/api/v1/trace/overlap") and isinstance(body.get("id_number"), str):
        body["id_number"] = _IDS[len(body["id_number"]) % len(_IDS)]
    elif path == "/api/v1/risk/confirm" and isinstance(body.get("document_number"), str):
        body["document_number"] = _IDS[len(body["document_number"]) % len(_IDS)]
    elif path == "/api/v1/enrol" and len(_TOKENS) > (0 if _phase(case) == "stateful" else 10) and isinstance(
        body.get("token"), str
    ):
        # A real one-time token, and the rest made acceptable, so the enrolment succeeds and a
        # stateful chain goes on as the new desk (most tokens are kept for the stateful phase).
        body["token"] = _TOKENS.pop()
        body["desk_id"] = str(uuid.uuid4())
        body["desk_name"] = "fuzz desk %d" % len(_TOKENS)
        body["code_key"] = {"id": zlib.crc32(body["desk_id"].encode()), "secret_hex": os.urandom(32).hex()}


if os.environ.get("PLACECODE_FUZZ_GZIP") == "1":

    @REQUESTS_TRANSPORT.serializer("application/json", "text/json")
    def gzip_json(ctx, value):
        out = serialize_json(value)
        raw = out["data"] if "data" in out else json.dumps(out["json"], allow_nan=False).encode("utf-8")
        return {"data": gzip.compress(raw), "headers": {"Content-Encoding": "gzip"}}
