/**
 * Messages between the extension and the sidebar webview, derived from the generated protocol.
 *
 * Sidecar notifications reach the webview unchanged (`notification`, keyed like the generated
 * `notifications` table); the webview calls a few sidecar requests through the extension (`rpc`,
 * keyed like `requests`, with params and result types taken from that table). Everything that
 * needs VS Code's own UI (confirmation, save dialog, terminal) is an `action` the extension runs.
 */

import type {
  ErrorKind,
  LogLine,
  ParameterError,
  ParamsOf,
  ResultOf,
  ServerInfo,
  Task,
  TaskMessage,
  TasksMessagesResult,
  TasksScreenResult,
  TemplateCatalog,
  notifications,
  requests,
} from "./generated";

export type RequestKey = keyof typeof requests;
export type NotificationKey = keyof typeof notifications;
export type RpcParams<K extends RequestKey> = ParamsOf<(typeof requests)[K]>;
export type RpcResult<K extends RequestKey> = ResultOf<(typeof requests)[K]>;

/** The sidecar requests the webview may make directly (the rest go through actions). */
export const WEBVIEW_REQUESTS = [
  "templatesGet",
  "templatesValidate",
  "tasksCreate",
  "tasksInterrupt",
  "tasksPause",
  "tasksResume",
  "tasksMessages",
] as const satisfies readonly RequestKey[];
export type WebviewRequestKey = (typeof WEBVIEW_REQUESTS)[number];

/** One sidecar notification as it travels to the webview. */
export type NotificationMessage = {
  [K in NotificationKey]: { key: K; params: ParamsOf<(typeof notifications)[K]> };
}[NotificationKey];

/** A failed request, flattened from a JSON-RPC error (`data` is the contract's `ErrorData`). */
export interface RpcError {
  message: string;
  code?: number;
  kind?: ErrorKind;
  detail?: string;
  parameterErrors?: ParameterError[];
}

/** What the sidebar shows about the sidecar process. */
export interface SidecarView {
  state: "starting" | "running" | "failed" | "stopped";
  /** One line: what is wrong (failed) or what is happening (starting). */
  message?: string;
  /** The underlying error text (stderr, exit code). */
  detail?: string;
  /** What the user can do about it, in words. */
  fix?: string;
  /** A command line that fixes it, offered for copying. */
  fixCommand?: string;
  /** The interpreter the extension tried. */
  python?: string;
  /** Taskyard's version, once running. */
  version?: string;
}

/** Extension-side actions on a task (they need VS Code's dialogs, terminals or windows). */
export type TaskActionName =
  | "delete"
  | "downloadLogs"
  | "attachTerminal"
  | "openFolder"
  | "pause"
  | "resume"
  | "interrupt"
  | "showChanges"
  | "savePatch"
  | "exportBranch";

/** Workbench actions the webview's empty and failure states offer. */
export type WorkbenchCommand =
  | "restartSidecar"
  | "showOutput"
  | "openSettings"
  | "copyFixCommand"
  | "openTemplateFolder";

/** A typed sidecar call from the webview. */
export type RpcRequest = {
  [K in WebviewRequestKey]: { type: "rpc"; id: number; key: K; params: RpcParams<K> };
}[WebviewRequestKey];

/** Webview → extension. */
export type FromWebview =
  | { type: "ready" }
  | RpcRequest
  /** Sends a message: queued while the agent works; the sidecar resumes a paused or failed task first. */
  | { type: "send"; id: number; taskId: string; content: string }
  | { type: "action"; action: TaskActionName; taskId: string }
  | { type: "command"; command: WorkbenchCommand }
  /** The task shown in detail (null: the list); its messages and logs are loaded. */
  | { type: "select"; taskId: string | null }
  /** Start or stop pushing the task's live terminal screen. */
  | { type: "watchScreen"; taskId: string; on: boolean };

export type RpcResponse =
  | { type: "rpcResult"; id: number; ok: true; result: unknown }
  | { type: "rpcResult"; id: number; ok: false; error: RpcError };

/** Everything the webview needs to draw from scratch. */
export interface ViewSnapshot {
  sidecar: SidecarView;
  catalog: TemplateCatalog | null;
  tasks: Task[];
  selected: string | null;
  /** What the sidecar said about itself (where new tasks run); null until it answered. */
  serverInfo: ServerInfo | null;
}

/** Extension → webview. */
export type ToWebview =
  | { type: "init"; snapshot: ViewSnapshot }
  | { type: "sidecar"; sidecar: SidecarView }
  /** `taskyard/server/info` answered again (or null: the sidecar stopped). */
  | { type: "serverInfo"; info: ServerInfo | null }
  | { type: "notification"; note: NotificationMessage }
  /** A full list (after the sidecar started or restarted). */
  | { type: "tasks"; tasks: Task[]; catalog: TemplateCatalog | null }
  | { type: "messages"; taskId: string; result: TasksMessagesResult }
  | { type: "logs"; taskId: string; lines: LogLine[] }
  | { type: "screen"; taskId: string; screen: TasksScreenResult | null; error?: string }
  /** Show a task (null: the list with the create form, optionally focused). */
  | { type: "reveal"; taskId: string | null; focusPrompt?: boolean }
  /** An extension-side action started (label) or ended (null). */
  | { type: "pending"; taskId: string; label: string | null }
  | RpcResponse;

/** The conversation message type, re-exported for the webview's chat. */
export type { TaskMessage };

/** Is `key` one of the requests the webview may make? */
export function isWebviewRequestKey(key: unknown): key is WebviewRequestKey {
  return typeof key === "string" && (WEBVIEW_REQUESTS as readonly string[]).includes(key);
}
