/**
 * Telling the user about tasks without them looking: a notification when a task needs input,
 * completes or fails (per `taskyard.notifications`, with an Open action), and a status-bar item
 * with the counts of working and needs-input tasks and, in its tooltip, where new tasks run.
 * Both follow the store's events.
 */

import * as vscode from "vscode";
import { attentionFor, counts, statusBarText } from "../core/presentation";
import type { TaskModel } from "./model";
import { readSettings } from "./settings";

export class Attention implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("taskyard.status", vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly model: TaskModel) {
    this.item.name = "Taskyard";
    this.item.command = "taskyard.tasks.focus";
    const off = model.store.onChange((e) => {
      if (e.kind === "task") this.maybeNotify(e.task.id, e.before);
      this.update();
    });
    this.disposables.push(
      { dispose: off },
      model.sidecar.onDidChangeState(() => this.update()),
      model.onDidChangeInfo(() => this.update()),
    );
    this.update();
  }

  update(): void {
    if (readSettings().hideTasks) {
      this.item.hide();
      return;
    }
    const s = statusBarText(counts(this.model.store.tasks.values()), this.model.sidecar.state.state, this.model.info);
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
    this.item.backgroundColor = this.model.sidecar.state.state === "failed"
      ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : s.warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.item.command = this.model.sidecar.state.state === "failed" ? "taskyard.showOutput" : "taskyard.tasks.focus";
    this.item.show();
  }

  private maybeNotify(taskId: string, before: Parameters<typeof attentionFor>[0]): void {
    const task = this.model.store.get(taskId);
    if (!task) return;
    const a = attentionFor(before, task, readSettings().notifications);
    if (!a) return;
    const show = a.severity === "error" ? vscode.window.showErrorMessage : a.severity === "warning" ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(a.text, "Open").then((choice) => {
      if (choice === "Open") void vscode.commands.executeCommand("taskyard.openTask", taskId);
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
