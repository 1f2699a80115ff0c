/**
 * Telling the user about tasks without them looking: a notification when a task needs input,
 * completes or fails (per `taskyard.notifications`, with an "Open task" link), and a status-bar
 * item with the counts of working and needs-input tasks and, in its tooltip, where new tasks run.
 * Both follow the store's events.
 *
 * VS Code cannot close a message notification, so each toast is a notification progress
 * (`withProgress`, `cancellable`) whose promise resolves when `core/attention.ts` withdraws it:
 * the task left that state, was deleted, or the user opened it. Its Cancel button only closes
 * the toast; the task is not touched.
 */

import * as vscode from "vscode";
import { AttentionToasts, type Toast, type ToastChange } from "../core/attention";
import { type NotificationLevel, counts, statusBarText } from "../core/presentation";
import type { TaskModel } from "./model";
import { readSettings } from "./settings";

export class Attention implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("taskyard.status", vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private readonly toasts = new AttentionToasts();
  /** Resolving closes the toast's notification. */
  private readonly closers = new Map<number, () => void>();

  constructor(private readonly model: TaskModel, onDidOpenTask: vscode.Event<string>) {
    this.item.name = "Taskyard";
    this.item.command = "taskyard.tasks.focus";
    const off = model.store.onChange((e) => {
      if (e.kind === "task") this.apply(this.toasts.changed(e.before, e.task, this.level()));
      else if (e.kind === "deleted") this.apply(this.toasts.deleted(e.id));
      else if (e.kind === "reset") this.apply(this.toasts.reset(model.store.tasks.values()));
      this.update();
    });
    this.disposables.push(
      { dispose: off },
      onDidOpenTask((taskId) => this.apply(this.toasts.opened(taskId))),
      model.sidecar.onDidChangeState(() => this.update()),
      model.onDidChangeInfo(() => this.update()),
    );
    this.update();
  }

  /** Status bar, and the toasts the settings still allow (called on every settings change). */
  update(): void {
    this.apply(this.toasts.setLevel(this.level()));
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

  private level(): NotificationLevel {
    const s = readSettings();
    return s.hideTasks ? "none" : s.notifications;
  }

  private apply(changes: ToastChange[]): void {
    for (const c of changes) {
      if (c.type === "show") this.show(c.toast);
      else this.close(c.toast.id);
    }
  }

  private show(toast: Toast): void {
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    this.closers.set(toast.id, close);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: toast.message, cancellable: true },
      (progress, token) => {
        // A still, empty bar: the default running bar would say something is loading.
        progress.report({ increment: 0 });
        token.onCancellationRequested(() => {
          this.toasts.dismissed(toast.id);
          this.close(toast.id);
        });
        return closed;
      },
    );
  }

  private close(toastId: number): void {
    this.closers.get(toastId)?.();
    this.closers.delete(toastId);
  }

  dispose(): void {
    this.apply(this.toasts.clear());
    for (const d of this.disposables) d.dispose();
  }
}
