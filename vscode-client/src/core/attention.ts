/**
 * Attention toasts: which notification is on screen for which task, and when it has to go.
 *
 * A toast belongs to one episode of a task: it appears on a transition into needs input,
 * complete or failed (`attentionFor`, per `taskyard.notifications`) and is withdrawn as soon as
 * it stops being true or useful: the task leaves that state (answered, resumed, sent a
 * follow-up), is deleted or gone after a reload, the user opens the task, or the setting no
 * longer allows it. A task has at most one toast; a new episode replaces the old toast.
 *
 * Pure bookkeeping: every call answers with the toasts to show and to withdraw, in order, and
 * `ext/attention.ts` turns them into VS Code notifications.
 */

import type { Task } from "../protocol/generated";
import { type AttentionKind, type DisplayKind, type NotificationLevel, attentionFor, displayKind } from "./presentation";

/** The command behind a toast's "Open task" link. */
export const OPEN_TASK_COMMAND = "taskyard.openTask";

/** The link's tooltip (VS Code's default would show the command and its encoded arguments). */
export const OPEN_TASK_TITLE = "Show the task in the Taskyard panel";

/** Longest text kept from a task's name and message (VS Code cuts a notification at 1000). */
export const MAX_TOAST_TEXT = 400;

export interface Toast {
  /** Unique per toast shown. */
  id: number;
  taskId: string;
  kind: AttentionKind;
  /** The display kind that caused it: the toast lasts while the task stays in it. */
  cause: DisplayKind;
  /** The notification's message: the text, then an "Open task" link. */
  message: string;
}

export type ToastChange = { type: "show"; toast: Toast } | { type: "withdraw"; toast: Toast };

type TaskLike = Pick<Task, "status" | "state">;

export class AttentionToasts {
  private readonly shown = new Map<string, Toast>();
  private nextId = 1;

  /** The toast on screen for a task. */
  get(taskId: string): Toast | undefined {
    return this.shown.get(taskId);
  }

  get size(): number {
    return this.shown.size;
  }

  /** A task changed: its toast goes when the cause is gone, a new one comes on a transition. */
  changed(before: TaskLike | undefined, after: Task, level: NotificationLevel): ToastChange[] {
    const out: ToastChange[] = [];
    const now = displayKind(after);
    const current = this.shown.get(after.id);
    if (current && current.cause !== now) out.push(this.withdraw(current));
    const attention = attentionFor(before, after, level);
    if (attention) {
      const still = this.shown.get(after.id);
      if (still) out.push(this.withdraw(still));
      const toast: Toast = {
        id: this.nextId++,
        taskId: after.id,
        kind: attention.kind,
        cause: now,
        message: toastMessage(attention.text, after.id),
      };
      this.shown.set(after.id, toast);
      out.push({ type: "show", toast });
    }
    return out;
  }

  /** The task was deleted. */
  deleted(taskId: string): ToastChange[] {
    return this.withdrawTask(taskId);
  }

  /** The user opened the task (the panel, the toast's link, a command): they have seen it. */
  opened(taskId: string): ToastChange[] {
    return this.withdrawTask(taskId);
  }

  /** The user closed the toast themselves; nothing to withdraw. */
  dismissed(toastId: number): void {
    for (const [taskId, t] of this.shown) if (t.id === toastId) this.shown.delete(taskId);
  }

  /** A fresh list (after the sidecar restarted): toasts of tasks gone or moved on are withdrawn. */
  reset(tasks: Iterable<Pick<Task, "id" | "status" | "state">>): ToastChange[] {
    const kinds = new Map<string, DisplayKind>();
    for (const t of tasks) kinds.set(t.id, displayKind(t));
    return [...this.shown.values()].filter((t) => kinds.get(t.taskId) !== t.cause).map((t) => this.withdraw(t));
  }

  /** The setting changed (or Taskyard was turned off: "none"): toasts it no longer allows go. */
  setLevel(level: NotificationLevel): ToastChange[] {
    const allowed = (t: Toast) => level === "all" || (level === "needsInput" && t.kind === "needs_input");
    return [...this.shown.values()].filter((t) => !allowed(t)).map((t) => this.withdraw(t));
  }

  /** Everything withdrawn (the extension stops). */
  clear(): ToastChange[] {
    return [...this.shown.values()].map((t) => this.withdraw(t));
  }

  private withdrawTask(taskId: string): ToastChange[] {
    const t = this.shown.get(taskId);
    return t ? [this.withdraw(t)] : [];
  }

  private withdraw(toast: Toast): ToastChange {
    this.shown.delete(toast.taskId);
    return { type: "withdraw", toast };
  }
}

/**
 * The notification's text and its "Open task" link. VS Code turns `[label](command:…)` in a
 * notification into a link and runs the command on click, so brackets in the task's name or the
 * agent's message become parentheses: they can never form a link of their own, nor swallow ours.
 * One line (notifications drop line breaks) and at most `MAX_TOAST_TEXT` characters, so the
 * link is never cut off.
 */
export function toastMessage(text: string, taskId: string): string {
  let plain = text.replace(/\s+/g, " ").trim().replace(/\[/g, "(").replace(/\]/g, ")");
  if (plain.length > MAX_TOAST_TEXT) {
    let cut = MAX_TOAST_TEXT - 1;
    if (/[\uD800-\uDBFF]/.test(plain.charAt(cut - 1))) cut--;
    plain = `${plain.slice(0, cut).trimEnd()}…`;
  }
  return `${plain} [Open task](${openTaskUri(taskId)} "${OPEN_TASK_TITLE}")`;
}

/** `command:taskyard.openTask?["<id>"]`, encoded so the link has no space or parenthesis. */
export function openTaskUri(taskId: string): string {
  const args = encodeURIComponent(JSON.stringify([taskId])).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `command:${OPEN_TASK_COMMAND}?${args}`;
}
