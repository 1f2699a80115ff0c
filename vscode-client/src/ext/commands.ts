/**
 * The palette commands. Each takes an optional task id (from the panel's menus) and otherwise
 * asks with a picker that lists the tasks the action is allowed on, with their status.
 * Failures of these user actions open an error message; nothing else pops up (style.md §10.9).
 */

import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { describeError, toRpcError } from "../core/errors";
import { KINDS, displayKind, relativeTime, subtitle } from "../core/presentation";
import type { LogFormat, Task, TaskActions } from "../protocol/generated";
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

  private async sendMessage(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Send a message to which task?", this.can("send"));
    if (!task) return;
    const content = await vscode.window.showInputBox({
      title: `Message to "${task.displayName}"`,
      prompt: displayKind(task) === "working" ? "The agent is working: the message is queued for its next turn." : displayKind(task) === "paused" ? "The task is paused: it is resumed first." : undefined,
      placeHolder: "What should the agent do next?",
      validateInput: (v) => (v.trim() ? null : "Type a message"),
    });
    if (!content) return;
    const sent = await this.run(task, "Sending…", "send to", () => this.model.send(task.id, content));
    if (sent?.queued) void vscode.window.setStatusBarMessage(`Taskyard: message queued for "${task.displayName}"`, 4000);
  }

  private async deleteTask(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Delete which task?", this.can("delete"));
    if (!task) return;
    const answer = await vscode.window.showWarningMessage(
      `Delete task "${task.displayName}"?`,
      { modal: true, detail: "This stops its agent and permanently deletes its workspace folder, conversation and logs." },
      "Delete",
    );
    if (answer !== "Delete") return;
    const gone = await this.run(task, "Deleting…", "delete", () => this.model.sidecar.request("tasksDelete", { task: task.id }));
    if (gone) {
      this.model.store.remove(gone.id);
      void vscode.window.showInformationMessage(`Task "${task.displayName}" deleted.`);
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

  private async attachTerminal(arg: unknown): Promise<void> {
    const task = await this.pickTask(arg, "Attach a terminal to which task?", (t) => t.status === "active");
    if (!task) return;
    const pty = new TaskTerminal(this.model, task.id);
    const terminal = vscode.window.createTerminal({ name: `Taskyard: ${task.name}`, pty, iconPath: new vscode.ThemeIcon("robot") });
    terminal.show();
  }
}

/** A task id from a command argument: a string, or `{taskId}` from a webview context menu. */
export function taskIdOf(arg: unknown): string | undefined {
  if (typeof arg === "string" && arg) return arg;
  if (typeof arg === "object" && arg !== null && typeof (arg as { taskId?: unknown }).taskId === "string") {
    return (arg as { taskId: string }).taskId;
  }
  return undefined;
}
