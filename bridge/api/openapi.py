"""The published contract: FastAPI's OpenAPI document, completed with what it cannot infer.

- the request-signing headers as security schemes, required on every signed operation;
- every status code each operation can answer, each error with the one body every refusal has
  (``Error``: ``{"error", "detail", "field"}``), ``Retry-After`` on 503 and ``Allow`` on 405;
- server-sent event streams as ``text/event-stream``, their events' payloads as components
  (``x-events`` names the schema of each event type);
- links for stateful clients (a created swap's id feeds its reads and instructions).

The signing schemes themselves (canonical request text, EIP-712 types and domains) are data at
``GET /v1/signing``; the security schemes point there.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bridge.api.errors import MAX_BODY_BYTES

UNSIGNED = {"/v1/health", "/v1/signing"}
EVENT_STREAMS = {"/v1/events", "/v1/swaps/{swap_id}/events"}

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "Every refusal and failure: a machine-readable code, a sentence, and the request field at fault (a JSON path "
                   "into the body such as `swaps.3.terms.amountA`, a parameter such as `query.offset`, a header such as "
                   "`X-Corridor-Signature`, `body` for the body as a whole, or null).",
    "properties": {
        "error": {"type": "string", "examples": ["validation_error"]},
        "detail": {"type": "string", "examples": ["Input should be greater than 0"]},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}], "examples": ["terms.amountA"]},
    },
    "required": ["error", "detail", "field"],
    "additionalProperties": False,
}  # fmt: skip

ERRORS: dict[int, str] = {
    400: "The body is not JSON (`malformed_json`; `detail` says line and column, `field` is `body`).",
    401: "Authentication failed (`unauthenticated`: a header missing, outside the clock window, not canonical, signed by "
         "another key, or a replay; `field` names the header) or an instruction's signature does not recover to its party "
         "(`signature_invalid`).",
    403: "The participant may not do this: unknown or suspended, not a party to the swap, or the regulator instructing.",
    404: "No such swap.",
    409: "Wrong state for this call, a nonce already used, a quote expired, no usable oracle rate (`rate_unavailable`), "
         "funding missing, or the Idempotency-Key was used with another body.",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes (`body_too_large`).",
    422: "A field is malformed or out of limits (`validation_error`, `invalid_instruction`); `field` names it.",
    500: "An unexpected error (`internal_error`), always JSON.",
    503: "A ledger (`ledger_unavailable`) or the database (`database_unavailable`) cannot serve the request now; nothing of it "
         "was recorded. Retry after `Retry-After` seconds with the same Idempotency-Key.",
}  # fmt: skip

SECURITY_SCHEMES = {
    "participant": {"type": "apiKey", "in": "header", "name": "X-Corridor-Participant",
                    "description": "The participant's name as GET /v1/participants lists it (not its address), or `regulator`."},
    "timestamp": {"type": "apiKey", "in": "header", "name": "X-Corridor-Timestamp",
                  "description": "Unix seconds; within 30 s of the bridge's clock."},
    "nonce": {"type": "apiKey", "in": "header", "name": "X-Corridor-Nonce",
              "description": "1 to 64 characters, fresh for every request."},
    "signature": {"type": "apiKey", "in": "header", "name": "X-Corridor-Signature",
                  "description": "EIP-191 personal_sign signature of the canonical request text "
                                 "`CORRIDOR-REQUEST\\n{METHOD}\\n{path[?query]}\\n{sha256(body) hex}\\n{timestamp}\\n{nonce}` "
                                 "by the participant's key: 0x + 130 hex digits, v 27 or 28, low s. "
                                 "Full rules and test vectors: GET /v1/signing and docs/integration.md."},
}  # fmt: skip

TRANSITION_EVENT = {
    "title": "TransitionEvent",
    "type": "object",
    "description": "The data of an `event: transition` (one JSON object per event). `seq` (GET /v1/events only) is the journal "
                   "position: reconnect with `after` = the last one received.",
    "properties": {
        "seq": {"type": "integer"},
        "swap_id": {"type": "string"},
        "from": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "to": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "ledger": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "tx_hash": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "block": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "detail": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["from", "to", "at", "ledger", "tx_hash", "detail"],
}  # fmt: skip

_SWAP_LINKS = {
    "GetSwap": {"operationId": "get_swap", "parameters": {"swap_id": "$response.body#/id"}},
    "AcceptSwap": {"operationId": "accept_swap", "parameters": {"swap_id": "$response.body#/id"}},
    "RevealSecret": {"operationId": "reveal_secret", "parameters": {"swap_id": "$response.body#/id"}},
    "CancelSwap": {"operationId": "cancel_swap", "parameters": {"swap_id": "$response.body#/id"}},
}


def _error_response(status: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description or ERRORS[status],
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip
    if status == 503:
        response["headers"] = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
    return response


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds security, error responses, event streams and links to FastAPI's document (in place)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.pop("ErrorPublic", None)
    schemas["Error"] = ERROR_SCHEMA
    schemas["TransitionEvent"] = TRANSITION_EVENT
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = {500}
            if path not in UNSIGNED:
                operation["security"] = [{"participant": [], "timestamp": [], "nonce": [], "signature": []}]
                codes |= {401, 503}  # each signed request records its signature: the database must take it
            if path == "/v1/signing":
                codes |= {503}  # read from the ledgers once
            if operation.get("parameters"):
                codes |= {422}
            if "requestBody" in operation:
                codes |= {400, 413, 422}
                for content in operation["requestBody"].get("content", {}).values():
                    content.setdefault("schema", {})
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                codes |= {409}
                for status, response in responses.items():
                    if status.startswith("2"):
                        response.setdefault("headers", {})["Idempotent-Replay"] = {
                            "description": "`true` when this is the first answer replayed for a retry", "schema": {"type": "string"}}
            codes |= {int(status) for status in responses if status.isdigit() and int(status) >= 400}
            for status in sorted(codes):
                described = responses.get(str(status), {}).get("description")
                keep = described if described and described not in {"Validation Error", "Successful Response"} and status != 422 else None
                example = responses.get(str(status), {}).get("content", {}).get("application/json", {}).get("example")
                responses[str(status)] = _error_response(status, keep)
                if example is not None:
                    responses[str(status)]["content"]["application/json"]["example"] = example
            if path in EVENT_STREAMS:
                responses["200"] = {
                    "description": "Server-sent events (`text/event-stream`): `event: transition` with a TransitionEvent as `data`, "
                                   "one per journal entry; the stream may end with `event: error` carrying an Error (the database "
                                   "failed under it: reconnect later).",
                    "content": {"text/event-stream": {
                        "schema": {"type": "string", "description": "lines `id: <seq>`, `event: <type>`, `data: <JSON>`, blank line"},
                        "x-events": {"transition": {"$ref": "#/components/schemas/TransitionEvent"},
                                     "error": {"$ref": "#/components/schemas/Error"}}}},
                }  # fmt: skip
    created = schema.get("paths", {}).get("/v1/swaps", {}).get("post", {}).get("responses", {}).get("201")
    if created is not None:
        created["links"] = _SWAP_LINKS
    return schema


def install(app: FastAPI) -> None:
    """Serves the completed document at ``/openapi.json`` (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(title=app.title, version=app.version, description=app.description,
                                                      routes=app.routes, tags=app.openapi_tags, servers=app.servers))  # fmt: skip
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
