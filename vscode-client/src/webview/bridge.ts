/**
 * The webview's side of the typed channel: posting `FromWebview` messages, awaiting `rpc` and
 * `send` answers by id, and the state VS Code keeps across reloads of the view.
 */

import type { TasksSendResult } from "../protocol/generated";
import type {
  FromWebview,
  RpcError,
  RpcParams,
  RpcResponse,
  RpcResult,
  TaskActionName,
  WebviewRequestKey,
  WorkbenchCommand,
} from "../protocol/webview";

const vscode = acquireVsCodeApi<Persisted>();

/** What survives the view being hidden and shown again. */
export interface Persisted {
  template?: string;
  presets?: Record<string, string | null>;
  prompt?: string;
  createOpen?: boolean;
  drafts?: Record<string, string>;
}

export class RpcFailure extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

let nextId = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: RpcFailure) => void }>();

export function post(msg: FromWebview): void {
  vscode.postMessage(msg);
}

function await_(id: number): Promise<unknown> {
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

/** A sidecar request through the extension, typed by the generated `requests` table. */
export function call<K extends WebviewRequestKey>(key: K, params: RpcParams<K>): Promise<RpcResult<K>> {
  const id = nextId++;
  const done = await_(id) as Promise<RpcResult<K>>;
  post({ type: "rpc", id, key, params } as FromWebview);
  return done;
}

/** Sends a message to a task (queued while the agent works; the sidecar resumes a paused task). */
export function sendToTask(taskId: string, content: string): Promise<TasksSendResult> {
  const id = nextId++;
  const done = await_(id) as Promise<TasksSendResult>;
  post({ type: "send", id, taskId, content });
  return done;
}

export function settle(res: RpcResponse): void {
  const w = waiting.get(res.id);
  if (!w) return;
  waiting.delete(res.id);
  if (res.ok) w.resolve(res.result);
  else w.reject(new RpcFailure(res.error));
}

export function action(action: TaskActionName, taskId: string): void {
  post({ type: "action", action, taskId });
}

export function command(command: WorkbenchCommand): void {
  post({ type: "command", command });
}

export function loadPersisted(): Persisted {
  return vscode.getState() ?? {};
}

export function savePersisted(p: Persisted): void {
  vscode.setState(p);
}
