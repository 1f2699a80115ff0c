/**
 * Message routing between the webview and the extension: an exhaustive handler table per
 * message union (a missing handler is a compile error), a guard for what arrives from the
 * webview, and the forwarding of the webview's sidecar calls.
 */

import type { FromWebview, RpcRequest, RpcResponse, TaskActionName } from "../protocol/webview";
import { isWebviewRequestKey } from "../protocol/webview";
import { toRpcError } from "./errors";

/** One handler per `type` of a message union. */
export type Handlers<M extends { type: string }> = {
  [T in M["type"]]: (msg: Extract<M, { type: T }>) => unknown;
};

/** Calls the handler of `msg.type`; the types keep message and handler paired. */
export function route<M extends { type: string }>(handlers: Handlers<M>, msg: M): unknown {
  const handler = handlers[msg.type as M["type"]] as (m: M) => unknown;
  return handler(msg);
}

/** Every task action the webview may ask for (a missing one is a compile error). */
const ACTIONS: Record<TaskActionName, true> = {
  delete: true, downloadLogs: true, attachTerminal: true, openFolder: true, pause: true, resume: true,
  interrupt: true, showChanges: true, savePatch: true, exportBranch: true,
};
const COMMANDS = new Set(["restartSidecar", "showOutput", "openSettings", "copyFixCommand", "openTemplateFolder"]);

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const str = (x: unknown): x is string => typeof x === "string";
const num = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * Checks the shape of a message from the webview before it is routed. The webview is ours,
 * but its messages still cross a process boundary; params of `rpc` are checked by the sidecar.
 */
export function parseFromWebview(x: unknown): FromWebview | null {
  if (!isObj(x) || !str(x.type)) return null;
  switch (x.type) {
    case "ready":
      return { type: "ready" };
    case "rpc":
      if (!num(x.id) || !isWebviewRequestKey(x.key) || !isObj(x.params)) return null;
      return x as unknown as RpcRequest;
    case "send":
      if (!num(x.id) || !str(x.taskId) || !str(x.content)) return null;
      return { type: "send", id: x.id, taskId: x.taskId, content: x.content };
    case "action":
      if (!str(x.action) || !Object.hasOwn(ACTIONS, x.action) || !str(x.taskId)) return null;
      return x as unknown as FromWebview;
    case "command":
      if (!str(x.command) || !COMMANDS.has(x.command)) return null;
      return x as unknown as FromWebview;
    case "select":
      if (!(x.taskId === null || str(x.taskId))) return null;
      return { type: "select", taskId: x.taskId };
    case "watchScreen":
      if (!str(x.taskId) || typeof x.on !== "boolean") return null;
      return { type: "watchScreen", taskId: x.taskId, on: x.on };
    default:
      return null;
  }
}

/** Runs a webview's sidecar call and wraps the outcome as the webview's response. */
export async function forwardRpc(
  call: (key: RpcRequest["key"], params: unknown) => Promise<unknown>,
  req: RpcRequest,
): Promise<RpcResponse> {
  try {
    const result = await call(req.key, req.params);
    return { type: "rpcResult", id: req.id, ok: true, result };
  } catch (e) {
    return { type: "rpcResult", id: req.id, ok: false, error: toRpcError(e) };
  }
}
