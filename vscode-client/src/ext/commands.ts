/**
 * The palette commands. Each takes an optional task id (from the panel's menus) and otherwise
 * asks with a picker that lists the tasks the action is allowed on, with their status.
 * Failures of these user actions open an error message; nothing else pops up (docs/CONTRIBUTING.md, "Errors").
 */

import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { describeError, toRpcError } from "../core/errors";
import { KINDS, displayKind, inputModel, relativeTime, sendPrompt, subtitle } from "../core/presentation";
import {
  DELETE,
  DELETE_KEEP_WORK,
  type ExportProblem,
  branchNameProblem,
  defaultBranchName,
  deletedMessage,
  diffView,
  exportProblem,
  exportedMessage,
  hasChanges,
  keptWork,
} from "../core/work";
import type { LogFormat, Task, TaskActions, TasksExportBranchResult } from "../protocol/generated";
import type { TaskModel } from "./model";
import type { TasksView } from "./tasksView";
import { TaskTerminal } from "./terminal";

interface TaskPick extends vscode.QuickPickItem {
  task: Task;
}

export class Commands {
  constructor(
    private readonly model: TaskModel,
    private readonly view: TasksView,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  register(): vscode.Disposable[] {
    const c = (id: string, fn: (arg?: unknown) => unknown) => vscode.commands.registerCommand(`taskyard.${id}`, fn);
    return [
      c("newTask", () => this.view.reveal(null, true)),
      c("openTask", (arg) => this.view.reveal(taskIdOf(arg) ?? null)),
      c("sendMessage", (arg) => this.sendMessage(arg)),
      c("interruptTask", (arg) => this.simple(arg, "interrupt", "tasksInterrupt", "Interrupt which task?", "Interrupting…")),
      c("pauseTask", (arg) => this.simple(arg, "pause", "tasksPause", "Pause which task?", "Pausing…")),
      c("resumeTask", (arg) => this.simple(arg, "resume", "tasksResume", "Resume which task?", "Resuming…")),
      c("deleteTask", (arg) => this.deleteTask(arg)),
      c("downloadLogs", (arg) => this.downloadLogs(arg)),
      c("openWorkspaceFolder", (arg) => this.openFolder(arg)),
      c("attachTerminal", (arg) => this.attachTerminal(arg)),
      c("showChanges", (arg) => this.showChanges(arg)),
      c("saveChangesAsPatch", (arg) => this.savePatch(arg)),
      c("exportBranch", (arg) => this.exportBranch(arg)),
      c("showOutput", () => this.output.show(true)),
      c("restartSidecar", () => this.model.sidecar.restart()),
    ];
  }

  /** The task an action applies to: the argument, else the user's pick among allowed ones. */
  private async pickTask(arg: unknown, title: string, allowed?: (t: Task) => boolean): Promise<Task | undefined> {
    const id = taskIdOf(arg);
    if (id) {
      const task = this.model.store.find(id);
      if (!task) void vscode.window.showErrorMessage(`No task "${id}".`);
      return task;
    }
    const tasks = this.model.store.list().filter((t) => !allowed || allowed(t));
    if (!tasks.length) {
      const none = this.model.sidecar.state.state === "running" ? "No task allows this right now." : "The Taskyard sidecar is not running.";
      void vscode.window.showInformationMessage(none);
      return undefined;
    }
    const items: TaskPick[] = tasks.map((task) => {
      const kind = KINDS[displayKind(task)];
      return {
        task,
        label: `$(${kind.icon}) ${task.displayName}`,
        description: `${kind.label} · ${relativeTime(task.updatedAt)}`,
        detail: subtitle(task),
      };
    });
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: "Type to filter tasks", matchOnDescription: true, matchOnDetail: true });
    return pick?.task;
  }

  private can(action: keyof TaskActions) {
    return (t: Task) => t.actions[action];
  }

  /** Runs an action with the panel showing it as pending, and an error message if it fails. */
  private async run<T>(task: Task, label: string, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    this.view.pending(task.id, label);
    try {
      return await fn();
    } catch (e) {
      void vscode.window.showErrorMessage(describeError(toRpcError(e), `${what} "${task.displayName}"`));
      return undefined;
    } finally {
      this.view.pending(task.id, null);
    }
  }

  private async simple(
    arg: unknown,
    action: "interrupt" | "pause" | "resume",
    key: "tasksInterrupt" | "tasksPause" | "tasksResume",
    title: string,
    label: string,
  ): Promise<void> {
    const task = await this.pickTask(arg, title, this.can(action));
    if (!task) return;
    const result = await this.run(task, label, action, () => this.model.sidecar.request(key, { task: task.id }));
    if (result) this.model.store.upsert(result);
  }

  /**
   * Offers every task the sidecar accepts a message for (`actions.send`): active ones, and paused
   * or failed ones, which the sidecar resumes first.
   */
  private async sendMessage(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Send a message to which task?", this.can("send"));
    if (!task) return;
    const content = await vscode.window.showInputBox({
      title: `Message to "${task.displayName}"`,
      prompt: sendPrompt(task),
      placeHolder: "What should the agent do next?",
      validateInput: (v) => (v.trim() ? null : "Type a message"),
    });
    if (!content) return;
    const label = inputModel(task).resumeFirst ? "Resuming, then sending…" : "Sending…";
    const sent = await this.run(task, label, "send to", () => this.model.send(task.id, content));
    if (sent?.resumed) {
      void vscode.window.setStatusBarMessage(`Taskyard: resumed "${task.displayName}" and ${sent.queued ? "queued" : "sent"} the message`, 5000);
    } else if (sent?.queued) {
      void vscode.window.setStatusBarMessage(`Taskyard: message queued for "${task.displayName}"`, 4000);
    }
  }

  private async deleteTask(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Delete which task?", this.can("delete"));
    if (!task) return;
    const answer = await vscode.window.showWarningMessage(
      `Delete task "${task.displayName}"?`,
      {
        modal: true,
        detail: "This stops its agent and permanently deletes its conversation, logs and workspace. "
          + `"${DELETE_KEEP_WORK}" keeps the folder with the files the agent worked on.`,
      },
      DELETE,
      DELETE_KEEP_WORK,
    );
    if (answer !== DELETE && answer !== DELETE_KEEP_WORK) return;
    const params = answer === DELETE_KEEP_WORK ? { task: task.id, keepWork: true } : { task: task.id };
    const gone = await this.run(task, "Deleting…", "delete", () => this.model.sidecar.request("tasksDelete", params));
    if (!gone) return;
    this.model.store.remove(gone.id);
    const kept = keptWork(gone);
    const choices = kept?.kind === "folder" ? ["Open Folder", "Copy Path"] : kept ? ["Copy Volume Name"] : [];
    const choice = await vscode.window.showInformationMessage(deletedMessage(task, gone), ...choices);
    if (choice === "Open Folder" && kept?.kind === "folder") {
      await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.file(kept.path), { forceNewWindow: true });
    } else if (choice && kept) {
      await vscode.env.clipboard.writeText(kept.kind === "folder" ? kept.path : kept.name);
    }
  }

  private async downloadLogs(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Download the logs of which task?");
    if (!task) return;
    const formats: (vscode.QuickPickItem & { format: LogFormat })[] = [
      { format: "txt", label: "Plain text", description: ".txt", detail: "Timestamped input and output, like Coder's log download" },
      { format: "md", label: "Markdown transcript", description: ".md", detail: "The conversation and start-up log, readable in the editor" },
      { format: "jsonl", label: "JSON Lines", description: ".jsonl", detail: "One JSON object per line: the task, its log lines and messages" },
    ];
    const format = await vscode.window.showQuickPick(formats, { title: `Logs of "${task.displayName}": format` });
    if (!format) return;
    const exported = await this.run(task, "Downloading…", "download the logs of", () =>
      this.model.sidecar.request("tasksLogs", { task: task.id, format: format.format }));
    if (!exported) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const target = await vscode.window.showSaveDialog({
      title: "Save task logs",
      defaultUri: vscode.Uri.joinPath(folder, exported.fileName),
      filters: { [format.label]: [format.format], "All files": ["*"] },
      saveLabel: "Save logs",
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(exported.content));
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not save the logs: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const open = await vscode.window.showInformationMessage(`Saved the logs of "${task.displayName}" to ${path.basename(target.fsPath)}.`, "Open File");
    if (open === "Open File") await vscode.window.showTextDocument(target);
  }

  private async openFolder(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Open the workspace folder of which task?", (t) => Boolean(t.workspace.path));
    if (!task) return;
    if (!task.workspace.path) {
      void vscode.window.showInformationMessage(`Task "${task.displayName}" has no workspace folder on this machine.`);
      return;
    }
    await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.file(task.workspace.path), { forceNewWindow: true });
  }

  /** The task's changes as a patch in an untitled `diff` editor, or "No changes yet". */
  private async showChanges(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Show the changes of which task?", hasWork);
    if (!task) return;
    const diff = await this.run(task, "Loading changes…", "show the changes of", () => this.model.sidecar.request("tasksDiff", { task: task.id }));
    if (!diff) return;
    const view = diffView(task, diff);
    if (view.empty) {
      void vscode.window.showInformationMessage(view.message);
      return;
    }
    const doc = await vscode.workspace.openTextDocument({ content: view.content, language: "diff" });
    await vscode.window.showTextDocument(doc, { preview: false });
    const choice = await vscode.window.showInformationMessage(view.summary, "Save as Patch…", "Export as Branch…");
    if (choice === "Save as Patch…") await this.savePatch(task.id);
    else if (choice === "Export as Branch…") await this.exportBranch(task.id);
  }

  /** The task's changes saved as a `.patch` file (like Download Logs: the client picks the place). */
  private async savePatch(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Save the changes of which task?", hasWork);
    if (!task) return;
    const diff = await this.run(task, "Loading changes…", "save the changes of", () => this.model.sidecar.request("tasksDiff", { task: task.id }));
    if (!diff) return;
    if (!hasChanges(diff)) {
      void vscode.window.showInformationMessage(`No changes yet: "${task.displayName}" has nothing to save as a patch.`);
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const target = await vscode.window.showSaveDialog({
      title: "Save task changes as a patch",
      defaultUri: vscode.Uri.joinPath(folder, diff.fileName),
      filters: { Patch: ["patch", "diff"], "All files": ["*"] },
      saveLabel: "Save patch",
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(diff.patch));
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not save the patch: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const open = await vscode.window.showInformationMessage(
      `Saved the changes of "${task.displayName}" to ${path.basename(target.fsPath)} (apply with git apply on ${diff.base.slice(0, 7)}).`,
      "Open File",
    );
    if (open === "Open File") await vscode.window.showTextDocument(target);
  }

  private async exportBranch(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Export the work of which task as a branch?", hasWork);
    if (!task) return;
    const result = await this.askBranch(task);
    if (!result) return;
    const copy = await vscode.window.showInformationMessage(exportedMessage(result), "Copy Branch Name");
    if (copy) await vscode.env.clipboard.writeText(result.branch);
  }

  /**
   * The branch name box. It stays open while the sidecar works, so that a name it rejects
   * (`invalidParameters`, e.g. the branch exists) shows on the box itself, as git's own rules do
   * while typing.
   */
  private askBranch(task: Task): Promise<TasksExportBranchResult | undefined> {
    return new Promise((resolve) => {
      const box = vscode.window.createInputBox();
      let done = false;
      const finish = (result: TasksExportBranchResult | undefined) => {
        if (done) return;
        done = true;
        resolve(result);
        box.dispose();
      };
      box.title = `Export the work of "${task.displayName}" as a branch`;
      box.prompt = "A new branch in this folder's git repository, with the task's changes committed. Your working tree is not touched.";
      box.value = defaultBranchName(task);
      box.valueSelection = ["taskyard/".length, box.value.length];
      box.ignoreFocusOut = true;
      box.onDidChangeValue((v) => (box.validationMessage = branchNameProblem(v.trim()) ?? undefined));
      box.onDidHide(() => finish(undefined));
      box.onDidAccept(async () => {
        const branch = box.value.trim();
        box.validationMessage = branchNameProblem(branch) ?? undefined;
        if (box.validationMessage || box.busy) return;
        box.busy = true;
        box.enabled = false;
        this.view.pending(task.id, "Exporting…");
        let failed: ExportProblem | undefined;
        try {
          finish(await this.model.sidecar.request("tasksExportBranch", { task: task.id, branch }));
        } catch (e) {
          failed = exportProblem(toRpcError(e), task);
          if (failed.where === "input") box.validationMessage = failed.message;
          else finish(undefined);
        } finally {
          this.view.pending(task.id, null);
          if (!done) {
            box.busy = false;
            box.enabled = true;
          }
        }
        if (failed?.where === "message") {
          const choice = await vscode.window.showErrorMessage(failed.message, ...(failed.offerPatch ? ["Save as Patch…"] : []));
          if (choice) await this.savePatch(task.id);
        }
      });
      box.show();
    });
  }

  private async attachTerminal(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Attach a terminal to which task?", (t) => t.status === "active");
    if (!task) return;
    const pty = new TaskTerminal(this.model, task.id);
    const terminal = vscode.window.createTerminal({ name: `Taskyard: ${task.name}`, pty, iconPath: new vscode.ThemeIcon("robot") });
    terminal.show();
  }
}

/** Tasks whose work folder exists: their changes can be shown, saved or exported. */
function hasWork(t: Task): boolean {
  return t.status !== "pending";
}

/** A task id from a command argument: a string, or `{taskId}` from a webview context menu. */
export function taskIdOf(arg: unknown): string | undefined {
  if (typeof arg === "string" && arg) return arg;
  if (typeof arg === "object" && arg !== null && typeof (arg as { taskId?: unknown }).taskId === "string") {
    return (arg as { taskId: string }).taskId;
  }
  return undefined;
}
