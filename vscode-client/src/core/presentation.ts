/**
 * Task state → what the views show: one display kind per task, its label, icon, subtitle,
 * the input box's wording, status-bar counts and which changes deserve a notification.
 *
 * Pure functions over the generated wire types; the sidecar owns the rules (`task.actions`),
 * this module only words them.
 */

import type { ServerInfo, Task, TasksSendResult } from "../protocol/generated";
import { serverInfoLines } from "./serverInfo";

/** The one status a task shows: infrastructure status and agent state folded together. */
export type DisplayKind =
  | "starting"
  | "working"
  | "needs_input"
  | "idle"
  | "complete"
  | "failed"
  | "paused"
  | "error"
  | "unknown";

export interface KindInfo {
  label: string;
  /** Codicon id for quick picks and the status bar. */
  icon: string;
  /** Sort rank in the list: lower comes first. */
  rank: number;
}

export const KINDS: Record<DisplayKind, KindInfo> = {
  needs_input: { label: "Needs input", icon: "bell-dot", rank: 0 },
  error: { label: "Error", icon: "error", rank: 1 },
  working: { label: "Working", icon: "sync~spin", rank: 2 },
  starting: { label: "Starting", icon: "loading~spin", rank: 2 },
  failed: { label: "Failed", icon: "close", rank: 3 },
  idle: { label: "Idle", icon: "circle-outline", rank: 3 },
  complete: { label: "Complete", icon: "pass", rank: 3 },
  paused: { label: "Paused", icon: "debug-pause", rank: 4 },
  unknown: { label: "Unknown", icon: "question", rank: 4 },
};

type TaskLike = Pick<Task, "status" | "state">;

export function displayKind(task: TaskLike): DisplayKind {
  switch (task.status) {
    case "pending":
    case "initializing":
      return "starting";
    case "paused":
      return "paused";
    case "error":
      return "error";
    case "unknown":
      return "unknown";
    case "active":
      // An active task whose agent has not reported yet is still coming up.
      return task.state?.state ?? "starting";
  }
}

/** The line under the title: the agent's own message, else a word about the status. */
export function subtitle(task: Pick<Task, "status" | "state" | "error">): string {
  if (task.status === "error" && task.error) return task.error.message;
  const message = task.state?.message?.trim();
  if (message && task.status !== "pending" && task.status !== "initializing") return message;
  switch (displayKind(task)) {
    case "starting":
      return task.status === "pending" ? "Preparing the workspace…" : "Starting the agent…";
    case "working":
      return "Working…";
    case "needs_input":
      return "Waiting for your answer";
    case "paused":
      return message || "Paused; resume to continue";
    case "complete":
      return "Done";
    case "failed":
      return "The agent reported a failure";
    default:
      return message || "No message yet";
  }
}

/** A named cause and its fix for a task error the user can act on; null for the others. */
export function errorHint(task: Pick<Task, "status" | "error">): { title: string; fix: string } | null {
  const message = task.error?.message ?? "";
  if (task.status !== "error" || !message) return null;
  if (/docker/i.test(message) && /(does not answer|did not answer|not reachable|cannot connect)/i.test(message)) {
    return {
      title: "Docker is not reachable",
      fix: "Start Docker (or point DOCKER_HOST at a running engine), then retry. A template with provider \"auto\" runs on this machine when no engine answers.",
    };
  }
  if (task.error?.kind === "secretMissing") {
    return { title: "A secret is missing", fix: "Set it with `taskyard secret set NAME` (or its environment variable), then retry." };
  }
  return null;
}

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago", then a date. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 10) return "just now";
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.floor(h / 24);
  if (d < 7) return `${d}d ago`;
  return new Date(then).toISOString().slice(0, 10);
}

/** A clock time for banners: "14:05" today, else "Mar 3, 14:05". */
export function clockTime(iso: string, now: number = Date.now()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const hm = `${String(t.getHours()).padStart(2, "0")}:${String(t.getMinutes()).padStart(2, "0")}`;
  const today = new Date(now);
  if (t.toDateString() === today.toDateString()) return hm;
  const month = t.toLocaleString("en", { month: "short" });
  return `${month} ${t.getDate()}, ${hm}`;
}

/** How the message box behaves for a task. */
export interface InputModel {
  /** The sidecar accepts a message now (`task.actions.send`). */
  enabled: boolean;
  placeholder: string;
  /** Label of the primary button. */
  sendLabel: "Send" | "Queue" | "Resume and send";
  /** Sending queues the message for the agent's next idle moment. */
  queue: boolean;
  /** The sidecar resumes the task (paused, or stopped by an error) before it delivers. */
  resumeFirst: boolean;
}

export function inputModel(task: Pick<Task, "status" | "state" | "actions">): InputModel {
  const kind = displayKind(task);
  const base = { enabled: task.actions.send, queue: false, resumeFirst: false };
  switch (kind) {
    case "paused":
      return { ...base, sendLabel: "Resume and send", resumeFirst: true,
        placeholder: "Paused. Sending resumes the task first." };
    case "error":
      return { ...base, sendLabel: "Resume and send", resumeFirst: true,
        placeholder: "Stopped by an error. Sending resumes it first." };
    case "working":
      return { ...base, sendLabel: "Queue", queue: true,
        placeholder: "The agent is working; your message waits for its next turn" };
    case "starting":
      // The sidecar holds a message sent now until the agent takes messages (queued if busy).
      return { ...base, sendLabel: "Send", placeholder: "The agent is starting; your message goes once it is ready" };
    case "needs_input":
      return { ...base, sendLabel: "Send", placeholder: "The agent asks for input; answer here" };
    case "complete":
      return { ...base, sendLabel: "Send", placeholder: "Send a follow-up to continue…" };
    case "failed":
      return { ...base, sendLabel: "Send", placeholder: "Send a message to retry…" };
    default:
      return { ...base, sendLabel: "Send", placeholder: "Send a follow-up…" };
  }
}

/** The composer as drawn: the input model plus what the draft and a send in flight allow. */
export interface ComposerModel extends InputModel {
  /** The message box takes no typing. */
  boxDisabled: boolean;
  /** The primary button does nothing. */
  sendDisabled: boolean;
}

export function composerModel(
  task: Pick<Task, "status" | "state" | "actions">,
  ui: { sending: boolean; draft: string },
): ComposerModel {
  const input = inputModel(task);
  const boxDisabled = !input.enabled || ui.sending;
  return { ...input, boxDisabled, sendDisabled: boxDisabled || !ui.draft.trim() };
}

/** The palette's "Send Message" box: what happens to the message, for this task. */
export function sendPrompt(task: Pick<Task, "status" | "state" | "actions">): string | undefined {
  switch (displayKind(task)) {
    case "working":
      return "The agent is working: the message is queued for its next turn.";
    case "paused":
      return "The task is paused: it is resumed first, then the agent gets the message.";
    case "error":
      return "The task stopped with an error: it is resumed first, then the agent gets the message.";
    default:
      return undefined;
  }
}

/** What the panel says while a send is in flight, and once it was answered. */
export function sendNote(
  phase: "sending" | "sent",
  task: Pick<Task, "status" | "state" | "actions">,
  result?: Pick<TasksSendResult, "queued" | "resumed">,
): string {
  if (phase === "sending") return inputModel(task).resumeFirst ? "Resuming the task; your message follows once the agent is ready…" : "";
  if (result?.queued) return result.resumed
    ? "Resumed. Queued: the agent gets it when its current turn ends."
    : "Queued: the agent gets it when its current turn ends.";
  return "";
}

/** Newest first, but tasks that need the user come before everything else. */
export function sortTasks<T extends Pick<Task, "status" | "state" | "createdAt">>(tasks: T[]): T[] {
  const urgent = (t: T) => (displayKind(t) === "needs_input" ? 0 : 1);
  return [...tasks].sort(
    (a, b) => urgent(a) - urgent(b) || Date.parse(b.createdAt) - Date.parse(a.createdAt),
  );
}

export interface Counts {
  total: number;
  working: number;
  needsInput: number;
  starting: number;
  failed: number;
}

export function counts(tasks: Iterable<TaskLike>): Counts {
  const c: Counts = { total: 0, working: 0, needsInput: 0, starting: 0, failed: 0 };
  for (const t of tasks) {
    c.total++;
    const kind = displayKind(t);
    if (kind === "working") c.working++;
    else if (kind === "needs_input") c.needsInput++;
    else if (kind === "starting") c.starting++;
    else if (kind === "failed" || kind === "error") c.failed++;
  }
  return c;
}

/** The status-bar item's text and tooltip (with where new tasks run, once the sidecar said). */
export function statusBarText(
  c: Counts,
  sidecar: "starting" | "running" | "failed" | "stopped",
  info: ServerInfo | null = null,
): { text: string; tooltip: string; warning: boolean } {
  if (sidecar === "failed") {
    return { text: "$(error) Taskyard", tooltip: "The Taskyard sidecar is not running. Click for details.", warning: true };
  }
  if (sidecar !== "running") {
    return { text: "$(loading~spin) Taskyard", tooltip: "Starting the Taskyard sidecar…", warning: false };
  }
  const parts: string[] = [];
  const busy = c.working + c.starting;
  if (busy) parts.push(`$(sync~spin) ${busy}`);
  if (c.needsInput) parts.push(`$(bell-dot) ${c.needsInput}`);
  const text = parts.length ? `$(checklist) ${parts.join(" ")}` : "$(checklist) Taskyard";
  const lines = [
    `${c.working} working, ${c.starting} starting`,
    `${c.needsInput} need${c.needsInput === 1 ? "s" : ""} input`,
    `${c.total} task${c.total === 1 ? "" : "s"} in all`,
  ];
  const tooltip = [`Taskyard: ${lines.join(" · ")}`, ...serverInfoLines(info)].join("\n");
  return { text, tooltip, warning: c.needsInput > 0 };
}

export type NotificationLevel = "all" | "needsInput" | "none";
export type AttentionKind = "needs_input" | "complete" | "failed";

export interface Attention {
  kind: AttentionKind;
  /** The toast's text. */
  text: string;
  severity: "info" | "warning" | "error";
}

/** What a change of one task is worth telling the user, given the setting; null when nothing. */
export function attentionFor(
  before: TaskLike | undefined,
  after: Pick<Task, "status" | "state" | "displayName" | "error">,
  level: NotificationLevel,
): Attention | null {
  if (!before || level === "none") return null;
  const was = displayKind(before);
  const now = displayKind(after);
  if (was === now) return null;
  const name = after.displayName;
  const message = after.state?.message?.trim();
  let a: Attention | null = null;
  if (now === "needs_input") {
    a = { kind: "needs_input", severity: "warning",
      text: `Task "${name}" needs your input${message ? `: ${message}` : "."}` };
  } else if (now === "complete") {
    a = { kind: "complete", severity: "info", text: `Task "${name}" is complete${message ? `: ${message}` : "."}` };
  } else if (now === "failed" || now === "error") {
    const why = now === "error" ? after.error?.message : message;
    a = { kind: "failed", severity: "error", text: `Task "${name}" failed${why ? `: ${why}` : "."}` };
  }
  if (!a) return null;
  if (level === "needsInput" && a.kind !== "needs_input") return null;
  return a;
}
