/**
 * The extension's task model: the store fed by the sidecar's notifications, the full reload
 * after each (re)start, what the sidecar says about itself (`taskyard/server/info`), and the
 * few multi-step actions shared by the panel and the palette.
 */

import * as vscode from "vscode";
import { sendMessage } from "../core/send";
import { TaskStore, logLinesFromJsonl } from "../core/store";
import type { ServerInfo, Task, TasksSendResult } from "../protocol/generated";
import type { Sidecar } from "./sidecar";

export class TaskModel implements vscode.Disposable {
  readonly store = new TaskStore();
  /** The running sidecar's answer to `taskyard/server/info`; null until it answered. */
  info: ServerInfo | null = null;
  private infoSeq = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly reloadEmitter = new vscode.EventEmitter<void>();
  private readonly infoEmitter = new vscode.EventEmitter<ServerInfo | null>();
  /** The list was replaced after the sidecar (re)started. */
  readonly onDidReload = this.reloadEmitter.event;
  /** `info` changed (asked again, or cleared because the sidecar stopped). */
  readonly onDidChangeInfo = this.infoEmitter.event;

  constructor(readonly sidecar: Sidecar, private readonly output: vscode.LogOutputChannel) {
    this.disposables.push(
      sidecar.onNotification((note) => {
        this.store.apply(note);
        // New template folders (a settings change) arrive as a new catalog.
        if (note.key === "templatesDidChange") void this.refreshInfo();
      }),
      sidecar.onReady(() => void this.reload().then(() => this.applySettings(true))),
      sidecar.onDidChangeState((s) => {
        if (s.state !== "running" && this.info) this.setInfo(null);
      }),
      this.reloadEmitter,
      this.infoEmitter,
    );
  }

  /**
   * Asks the sidecar what it is and where new tasks run (after a start, a settings change, a
   * new catalog, or the panel being shown: Docker may have come or gone meanwhile). A failure
   * keeps the last answer and is only logged.
   */
  async refreshInfo(): Promise<void> {
    if (this.sidecar.state.state !== "running") return;
    const seq = ++this.infoSeq;
    try {
      const info = await this.sidecar.request("serverInfo", {});
      if (seq === this.infoSeq) this.setInfo(info);
    } catch (e) {
      this.output.warn(`taskyard/server/info: ${String(e)}`);
    }
  }

  private setInfo(info: ServerInfo | null): void {
    this.info = info;
    this.infoEmitter.fire(info);
  }

  /**
   * Sends changed settings to the sidecar (also after a start: they may have changed while it
   * was starting), then asks where new tasks run now.
   */
  async applySettings(refresh = false): Promise<void> {
    try {
      if (await this.sidecar.notifySettings()) refresh = true;
    } catch (e) {
      this.output.warn(`sending settings: ${String(e)}`);
    }
    if (refresh) await this.refreshInfo();
  }

  /** Every task (all pages) and the catalog. */
  async reload(): Promise<void> {
    try {
      const tasks: Task[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.sidecar.request("tasksList", cursor ? { limit: 500, cursor } : { limit: 500 });
        tasks.push(...page.tasks);
        cursor = page.nextCursor;
      } while (cursor);
      const catalog = await this.sidecar.request("templatesList", {});
      this.store.reset(tasks, catalog);
      for (const d of catalog.diagnostics) {
        this.output.warn(`template ${d.path}${d.line ? `:${d.line}` : ""}: ${d.message}`);
      }
      this.reloadEmitter.fire();
    } catch (e) {
      this.output.error(`loading tasks: ${String(e)}`);
    }
  }

  /**
   * Sends a message the way the panel's Send button does: a working agent gets it queued; a
   * paused or failed task is resumed by the sidecar before it delivers (`resumed` in the result).
   */
  async send(taskId: string, content: string): Promise<TasksSendResult> {
    const task = this.store.get(taskId) ?? (await this.sidecar.request("tasksGet", { task: taskId }));
    return sendMessage((params) => this.sidecar.request("tasksSend", params), task, content);
  }

  /** The task's conversation (or its pause snapshot), into the store. */
  async loadConversation(taskId: string): Promise<void> {
    this.store.setConversation(taskId, await this.sidecar.request("tasksMessages", { task: taskId }));
  }

  /**
   * The task's log lines so far. Notifications bring new lines; the ones written before this
   * window connected come from the `jsonl` export, since the contract has no log-lines request.
   */
  async loadLogs(taskId: string): Promise<void> {
    const exported = await this.sidecar.request("tasksLogs", { task: taskId, format: "jsonl" });
    this.store.setLogs(taskId, logLinesFromJsonl(exported.content));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
