/**
 * The client's mirror of the sidecar: tasks by id, the template catalog, and the conversation
 * and log lines of the tasks someone looks at. It changes only through `apply` (a sidecar
 * notification) and the results of explicit loads, so the extension and the webview keep
 * identical copies from the same stream.
 */

import type {
  LogLine,
  NotificationHandlers,
  Task,
  TaskMessage,
  TasksMessagesResult,
  TemplateCatalog,
} from "../protocol/generated";
import type { NotificationMessage } from "../protocol/webview";
import { sortTasks } from "./presentation";

/** Most log lines kept per task (the oldest go first). */
export const MAX_LOG_LINES = 2000;

export interface Conversation {
  messages: TaskMessage[];
  snapshot: boolean;
  snapshotAt?: string;
}

export type StoreEvent =
  | { kind: "task"; task: Task; before: Task | undefined }
  | { kind: "deleted"; id: string; before: Task | undefined }
  | { kind: "message"; taskId: string }
  | { kind: "logs"; taskId: string }
  | { kind: "catalog" }
  | { kind: "reset" };

export class TaskStore {
  readonly tasks = new Map<string, Task>();
  catalog: TemplateCatalog | null = null;
  readonly conversations = new Map<string, Conversation>();
  readonly logs = new Map<string, LogLine[]>();
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  /** One handler per notification: the generated type makes a missing one a compile error. */
  readonly handlers: NotificationHandlers = {
    tasksDidChange: ({ task }) => this.upsert(task),
    tasksDidDelete: ({ id }) => this.remove(id),
    tasksMessageDidChange: ({ taskId, message }) => this.putMessage(taskId, message),
    tasksLogDidAppend: ({ taskId, lines }) => this.appendLogs(taskId, lines),
    templatesDidChange: (catalog) => this.setCatalog(catalog),
  };

  onChange(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StoreEvent): void {
    for (const l of this.listeners) l(e);
  }

  apply(note: NotificationMessage): void {
    dispatch(this.handlers, note);
  }

  /** Replace everything (a fresh list after the sidecar (re)started). */
  reset(tasks: readonly Task[], catalog: TemplateCatalog | null): void {
    this.tasks.clear();
    for (const t of tasks) this.tasks.set(t.id, t);
    for (const id of [...this.conversations.keys()]) if (!this.tasks.has(id)) this.conversations.delete(id);
    for (const id of [...this.logs.keys()]) if (!this.tasks.has(id)) this.logs.delete(id);
    this.catalog = catalog;
    this.emit({ kind: "reset" });
  }

  list(): Task[] {
    return sortTasks([...this.tasks.values()]);
  }

  get(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  /** Find by id or name. */
  find(ref: string): Task | undefined {
    return this.tasks.get(ref) ?? [...this.tasks.values()].find((t) => t.name === ref);
  }

  upsert(task: Task): void {
    const before = this.tasks.get(task.id);
    // Snapshots are full; an older one arriving late (a request result racing a
    // notification) must not undo a newer one.
    if (before && Date.parse(before.updatedAt) > Date.parse(task.updatedAt)) return;
    this.tasks.set(task.id, task);
    this.emit({ kind: "task", task, before });
  }

  remove(id: string): void {
    const before = this.tasks.get(id);
    this.tasks.delete(id);
    this.conversations.delete(id);
    this.logs.delete(id);
    this.emit({ kind: "deleted", id, before });
  }

  setCatalog(catalog: TemplateCatalog): void {
    this.catalog = catalog;
    this.emit({ kind: "catalog" });
  }

  /**
   * A loaded conversation. Messages that notifications delivered meanwhile are kept when they
   * are newer than the loaded copy (the load and the stream race).
   */
  setConversation(taskId: string, result: TasksMessagesResult): void {
    const current = this.conversations.get(taskId);
    const merged = new Map<number, TaskMessage>();
    for (const m of result.messages) merged.set(m.id, m);
    if (current && !result.snapshot) {
      for (const m of current.messages) {
        const loaded = merged.get(m.id);
        if (!loaded || newer(m, loaded)) merged.set(m.id, m);
      }
    }
    const conv: Conversation = {
      messages: [...merged.values()].sort((a, b) => a.id - b.id),
      snapshot: result.snapshot,
    };
    if (result.snapshotAt) conv.snapshotAt = result.snapshotAt;
    this.conversations.set(taskId, conv);
    this.emit({ kind: "message", taskId });
  }

  putMessage(taskId: string, message: TaskMessage): void {
    let conv = this.conversations.get(taskId);
    if (!conv) {
      conv = { messages: [], snapshot: false };
      this.conversations.set(taskId, conv);
    }
    const i = conv.messages.findIndex((m) => m.id === message.id);
    if (i >= 0) conv.messages[i] = message;
    else {
      conv.messages.push(message);
      conv.messages.sort((a, b) => a.id - b.id);
    }
    conv.snapshot = false;
    delete conv.snapshotAt;
    this.emit({ kind: "message", taskId });
  }

  appendLogs(taskId: string, lines: readonly LogLine[]): void {
    const all = this.logs.get(taskId) ?? [];
    all.push(...lines);
    if (all.length > MAX_LOG_LINES) all.splice(0, all.length - MAX_LOG_LINES);
    this.logs.set(taskId, all);
    this.emit({ kind: "logs", taskId });
  }

  /** Lines loaded from an export: they replace what the stream brought, which they include. */
  setLogs(taskId: string, lines: readonly LogLine[]): void {
    const streamed = this.logs.get(taskId) ?? [];
    const last = lines.at(-1)?.time ?? "";
    const later = streamed.filter((l) => l.time > last);
    this.logs.set(taskId, [...lines, ...later].slice(-MAX_LOG_LINES));
    this.emit({ kind: "logs", taskId });
  }
}

function newer(a: TaskMessage, b: TaskMessage): boolean {
  return a.time > b.time || (a.time === b.time && a.content.length > b.content.length);
}

/** Calls the handler for a notification, keeping the key and params types paired. */
export function dispatch(handlers: NotificationHandlers, note: NotificationMessage): void {
  const handler = handlers[note.key] as (params: typeof note.params) => void;
  handler(note.params);
}

/** Log lines from a `jsonl` export (`{"type": "log", time, stream, text}` rows). */
export function logLinesFromJsonl(content: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const row of content.split("\n")) {
    if (!row.trim()) continue;
    try {
      const r = JSON.parse(row) as Record<string, unknown>;
      if (r.type === "log" && typeof r.text === "string" && typeof r.time === "string") {
        const stream = r.stream;
        if (stream === "build" || stream === "startup" || stream === "agent" || stream === "system") {
          lines.push({ time: r.time, stream, text: r.text });
        }
      }
    } catch {
      // a broken row is skipped, the rest still shows
    }
  }
  return lines;
}
