"""The OpenAPI 3.1 document of the bridge's HTTP API (served at ``/openapi.json``).

The agentapi part mirrors coder/agentapi's published schema (names and shapes), so generated
agentapi clients work against the bridge; the ``/taskyard/`` part documents our extensions.
"""

from __future__ import annotations

from typing import Any

from .. import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_PROBLEM = {
    "description": "Error",
    "content": {"application/problem+json": {"schema": _ref("ErrorModel")}},
}
_SSE = {
    "description": "Server-sent events",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def _op(summary: str, ok: dict[str, Any], body: Any = None, code: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {code: ok, "default": _PROBLEM}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    return op


SCHEMAS: dict[str, Any] = {
    "StatusResponse": {
        "type": "object",
        "required": ["status", "agent_type"],
        "properties": {
            "status": {"type": "string", "enum": ["running", "stable"]},
            "agent_type": {"type": "string"},
            "transport": {"type": "string", "enum": ["pty", "acp"]},
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "content", "role", "time"],
        "properties": {
            "id": {"type": "integer", "minimum": 0},
            "content": {"type": "string"},
            "role": {"type": "string", "enum": ["user", "agent"]},
            "time": {"type": "string", "format": "date-time"},
        },
    },
    "MessagesResponse": {
        "type": "object",
        "required": ["messages"],
        "properties": {"messages": {"type": "array", "items": _ref("Message")}},
    },
    "MessageRequest": {
        "type": "object",
        "required": ["content", "type"],
        "properties": {
            "content": {"type": "string"},
            "type": {"type": "string", "enum": ["user", "raw"]},
        },
    },
    "OkResponse": {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}},
    "UploadResponse": {
        "type": "object",
        "required": ["ok", "filePath"],
        "properties": {"ok": {"type": "boolean"}, "filePath": {"type": "string"}},
    },
    "MessageUpdateEvent": {
        "type": "object",
        "required": ["id", "role", "message", "time"],
        "properties": {
            "id": {"type": "integer"},
            "role": {"type": "string", "enum": ["user", "agent"]},
            "message": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
        },
    },
    "StatusChangeEvent": {
        "type": "object",
        "required": ["status", "agent_type"],
        "properties": {
            "status": {"type": "string", "enum": ["running", "stable"]},
            "agent_type": {"type": "string"},
        },
    },
    "ErrorEvent": {
        "type": "object",
        "required": ["message", "level", "time"],
        "properties": {
            "message": {"type": "string"},
            "level": {"type": "string", "enum": ["warning", "error"]},
            "time": {"type": "string", "format": "date-time"},
        },
    },
    "ErrorModel": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
        },
    },
    "AgentState": {
        "type": "object",
        "required": ["state", "message", "source", "timestamp", "status"],
        "properties": {
            "state": {
                "type": "string",
                "enum": [
                    "starting",
                    "working",
                    "idle",
                    "needs_input",
                    "complete",
                    "failed",
                    "exited",
                ],
            },
            "message": {"type": "string"},
            "source": {
                "type": "string",
                "enum": ["process", "hook", "notification", "screen", "stability", "api"],
            },
            "timestamp": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "enum": ["running", "stable"]},
            "agent_type": {"type": "string"},
            "session_id": {"type": "string"},
            "initial_prompt_sent": {"type": "boolean"},
            "queue_length": {"type": "integer"},
            "pid": {"type": ["integer", "null"]},
            "exit": {"type": ["string", "null"]},
            "started_at": {"type": "string", "format": "date-time"},
        },
    },
    "Screen": {
        "type": "object",
        "required": ["screen", "columns", "rows"],
        "properties": {
            "screen": {"type": "string"},
            "columns": {"type": "integer"},
            "rows": {"type": "integer"},
        },
    },
    "QueueItem": {
        "type": "object",
        "required": ["id", "content", "time"],
        "properties": {
            "id": {"type": "string"},
            "content": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
        },
    },
    "Signal": {
        "type": "object",
        "properties": {
            "state": {
                "type": "string",
                "enum": ["working", "idle", "needs_input", "complete", "failed", "failure"],
            },
            "message": {"type": "string"},
            "source": {"type": "string", "enum": ["hook", "notification"]},
            "event": {"type": "string"},
            "payload": {"type": "object"},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    body_json = {"application/json": {"schema": _ref("MessageRequest")}}
    paths: dict[str, Any] = {
        "/status": {"get": _op("Agent status", _json(_ref("StatusResponse")))},
        "/messages": {"get": _op("Conversation so far", _json(_ref("MessagesResponse")))},
        "/message": {
            "post": _op(
                "Send a user message or raw keystrokes", _json(_ref("OkResponse")), body_json
            )
        },
        "/upload": {
            "post": _op(
                "Upload a file for the agent",
                _json(_ref("UploadResponse")),
                {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    }
                },
            )
        },
        "/events": {
            "get": _op(
                "message_update, status_change and agent_error events "
                "(current state replayed first)",
                _SSE,
            )
        },
        "/taskyard/state": {"get": _op("The agent's full state", _json(_ref("AgentState")))},
        "/taskyard/screen": {"get": _op("The current screen as text", _json(_ref("Screen")))},
        "/taskyard/screen/stream": {"get": _op("screen events on every change", _SSE)},
        "/taskyard/events": {
            "get": _op("agentapi events plus state_change and queue_change", _SSE)
        },
        "/taskyard/queue": {
            "get": _op(
                "Queued messages",
                _json(
                    {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": _ref("QueueItem")}},
                    }
                ),
            ),
            "post": _op(
                "Queue a message for when the agent is ready",
                _json(_ref("QueueItem"), "Queued"),
                {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["content"],
                            "properties": {"content": {"type": "string"}},
                        }
                    }
                },
                code="201",
            ),
        },
        "/taskyard/queue/{id}": {
            "delete": {
                **_op("Cancel a queued message", _json(_ref("OkResponse"))),
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            }
        },
        "/taskyard/signal": {
            "post": _op(
                "Structured status from hooks or the agent itself",
                _json(_ref("OkResponse")),
                {"application/json": {"schema": _ref("Signal")}},
            )
        },
        "/taskyard/hook": {
            "post": _op(
                "An agent's own hook event, posted as is (Claude Code HTTP hooks)",
                {"description": "Accepted (empty body: the agent carries on)"},
                {"application/json": {"schema": {"type": "object"}}},
            )
        },
        "/taskyard/interrupt": {
            "post": _op("Interrupt the agent (its interrupt keys)", _json(_ref("OkResponse")))
        },
        "/taskyard/shutdown": {
            "post": _op(
                "Save state, stop the agent and exit",
                _json(_ref("OkResponse"), "Accepted"),
                code="202",
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Taskyard agent bridge (agentapi-compatible)", "version": __version__},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
