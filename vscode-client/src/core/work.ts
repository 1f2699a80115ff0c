/**
 * A task's work, in words: its changes (`taskyard/tasks/diff`), the branch it can become
 * (`taskyard/tasks/exportBranch`) and the work folder a deletion may keep
 * (`taskyard/tasks/delete` with `keepWork`). Pure functions; the commands show the dialogs.
 */

import { INVALID_PARAMS } from "../protocol/generated";
import type { Task, TasksDeleteResult, TasksDiffResult, TasksExportBranchResult } from "../protocol/generated";
import type { RpcError } from "../protocol/webview";
import { describeError } from "./errors";

// ---------------------------------------------------------------------------------------------
// Changes

/** What "Show Task Changes" opens: the patch, or a sentence when there is nothing. */
export type DiffView =
  | { empty: true; message: string }
  | { empty: false; content: string; summary: string };

export function hasChanges(result: TasksDiffResult): boolean {
  return result.files.length > 0 || result.patch.trim() !== "";
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "2 files changed (1 added, 1 modified), +3 −1". */
export function diffSummary(result: TasksDiffResult): string {
  if (!hasChanges(result)) return "No changes yet";
  const files = result.files;
  const kinds = (["added", "modified", "deleted", "renamed"] as const)
    .map((k) => [k, files.filter((f) => f.change === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  const add = files.reduce((n, f) => n + f.additions, 0);
  const del = files.reduce((n, f) => n + f.deletions, 0);
  const binary = files.filter((f) => f.binary).length;
  return [
    `${plural(files.length, "file")} changed${kinds.length ? ` (${kinds.join(", ")})` : ""}`,
    `+${add} −${del}`,
    ...(binary ? [`${binary} binary`] : []),
  ].join(", ");
}

export function diffView(task: Pick<Task, "displayName">, result: TasksDiffResult): DiffView {
  if (!hasChanges(result)) {
    return { empty: true, message: `No changes yet: "${task.displayName}" has not changed any file in its work folder.` };
  }
  return { empty: false, content: result.patch, summary: `"${task.displayName}": ${diffSummary(result)}` };
}

// ---------------------------------------------------------------------------------------------
// Deleting, keeping the work folder

export const DELETE = "Delete";
export const DELETE_KEEP_WORK = "Delete, Keep Work Folder";

/** Where a kept work folder is: a path on this machine, or a Docker volume. */
export type KeptWork = { kind: "folder"; path: string } | { kind: "volume"; name: string };

export function keptWork(result: TasksDeleteResult): KeptWork | undefined {
  const kept = result.keptWork;
  if (!kept) return undefined;
  return kept.startsWith("volume:") ? { kind: "volume", name: kept.slice("volume:".length) } : { kind: "folder", path: kept };
}

/** The message after a deletion, saying where kept work is. */
export function deletedMessage(task: Pick<Task, "displayName">, result: TasksDeleteResult): string {
  const kept = keptWork(result);
  if (!kept) return `Task "${task.displayName}" deleted.`;
  return kept.kind === "folder"
    ? `Task "${task.displayName}" deleted. Its work folder was kept at ${kept.path}.`
    : `Task "${task.displayName}" deleted. Its work was kept in the Docker volume ${kept.name}.`;
}

// ---------------------------------------------------------------------------------------------
// Exporting as a branch

export function defaultBranchName(task: Pick<Task, "name">): string {
  return `taskyard/${task.name}`;
}

/**
 * Why git would refuse a branch name (the `git check-ref-format --branch` rules), or null.
 * The sidecar checks again, including whether the branch exists.
 */
export function branchNameProblem(name: string): string | null {
  if (!name.trim()) return "Type a branch name";
  if (/\s/.test(name)) return "A branch name cannot contain spaces";
  if (/[~^:?*[\\\x00-\x1f\x7f]/.test(name)) return "A branch name cannot contain ~ ^ : ? * [ or \\";
  if (name.includes("..")) return "A branch name cannot contain ..";
  if (name.includes("@{")) return "A branch name cannot contain @{";
  if (name === "@") return "A branch cannot be called @";
  if (name.startsWith("-")) return "A branch name cannot start with -";
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return "Slashes must separate non-empty parts";
  if (name.endsWith(".")) return "A branch name cannot end with .";
  if (name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) {
    return "No part of a branch name may start with . or end with .lock";
  }
  return null;
}

/** How a failed export is shown: on the branch input box, or as a message (maybe offering a patch). */
export type ExportProblem =
  | { where: "input"; message: string }
  | { where: "message"; message: string; offerPatch: boolean };

export function exportProblem(err: RpcError, task: Pick<Task, "displayName">): ExportProblem {
  if (err.kind === "noRepository") {
    return {
      where: "message",
      offerPatch: true,
      message: "There is no git repository to export to: open a folder that is a git repository, or save the changes as a patch.",
    };
  }
  if (err.kind === "invalidParameters" && err.parameterErrors?.length) {
    const branch = err.parameterErrors.find((p) => p.parameter === "branch");
    if (branch) return { where: "input", message: branch.message };
    return { where: "input", message: err.parameterErrors.map((p) => `${p.parameter}: ${p.message}`).join("; ") };
  }
  if (err.code === INVALID_PARAMS && /\$\.branch\b/.test(err.message)) {
    return { where: "input", message: "Git does not accept this branch name" };
  }
  return { where: "message", offerPatch: false, message: describeError(err, `export the work of "${task.displayName}"`) };
}

export function exportedMessage(result: TasksExportBranchResult): string {
  return `Created branch ${result.branch} (${result.commit.slice(0, 7)}, ${plural(result.files, "file")} changed) in ${result.repository}. Your working tree was not touched.`;
}
