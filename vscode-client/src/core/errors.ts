/**
 * JSON-RPC errors → what the user reads. The sidecar's errors carry `data.kind` (the contract's
 * `ErrorData`); the wording here adds what to do about the common ones.
 */

import type { ErrorData, ErrorKind } from "../protocol/generated";
import { INVALID_PARAMS, errors } from "../protocol/generated";
import type { RpcError } from "../protocol/webview";

const KINDS = new Set<string>(Object.keys(errors));

function isErrorKind(x: unknown): x is ErrorKind {
  return typeof x === "string" && KINDS.has(x);
}

/** Flattens anything thrown by a request (a `ResponseError`, an `Error`, a string). */
export function toRpcError(e: unknown): RpcError {
  if (typeof e === "object" && e !== null) {
    const o = e as { message?: unknown; code?: unknown; data?: unknown };
    const out: RpcError = { message: typeof o.message === "string" ? o.message : String(e) };
    if (typeof o.code === "number") out.code = o.code;
    const data = o.data as Partial<ErrorData> | undefined;
    if (data && typeof data === "object") {
      if (isErrorKind(data.kind)) out.kind = data.kind;
      if (typeof data.detail === "string") out.detail = data.detail;
      if (Array.isArray(data.parameterErrors)) out.parameterErrors = data.parameterErrors;
    }
    return out;
  }
  return { message: String(e) };
}

/** One sentence for a dialog or a banner. */
export function describeError(err: RpcError, action?: string): string {
  const prefix = action ? `Could not ${action}: ` : "";
  switch (err.kind) {
    case "taskNotReady":
      return `${prefix}the task's agent is not running yet. Wait for it to start, or resume the task.`;
    case "agentBusy":
      return `${prefix}the agent is busy. Queue the message or interrupt the agent first.`;
    case "invalidParameters": {
      const list = (err.parameterErrors ?? []).map((p) => `${p.parameter}: ${p.message}`).join("; ");
      return `${prefix}${list || err.message}`;
    }
    case "secretMissing":
      return `${prefix}${err.message}${err.detail ? ` (${err.detail})` : ""}`;
    case "workspaceFailure":
    case "agentFailure":
      return `${prefix}${err.message}${err.detail ? `: ${err.detail}` : ""}`;
    default:
      if (err.code === INVALID_PARAMS) return `${prefix}the request was rejected (${err.message}).`;
      return `${prefix}${err.message}`;
  }
}
