/**
 * "Attach Terminal": a pseudoterminal showing the agent's live screen. It redraws when the
 * sidecar announces a change of the task or its conversation (no timer), and turns typed
 * lines into messages; Escape or Ctrl+C interrupt the agent.
 */

import * as vscode from "vscode";
import { Coalescer } from "../core/coalesce";
import { describeError, toRpcError } from "../core/errors";
import { KINDS, displayKind } from "../core/presentation";
import { LineEditor, renderFrame } from "../core/terminal";
import type { TasksScreenResult } from "../protocol/generated";
import type { TaskModel } from "./model";

export class TaskTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly editor = new LineEditor();
  private screen: TasksScreenResult | null = null;
  private note = "";
  private readonly refresh = new Coalescer(() => this.fetch());
  private readonly subscriptions: vscode.Disposable[] = [];
  private height: number | undefined;

  constructor(private readonly model: TaskModel, private readonly taskId: string) {}

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.height = dimensions?.rows;
    this.subscriptions.push(
      this.model.sidecar.onNotification((note) => {
        const p = note.params;
        const id = "taskId" in p ? p.taskId : "task" in p ? p.task.id : "id" in p ? p.id : undefined;
        if (id !== this.taskId || note.key === "tasksLogDidAppend") return;
        if (note.key === "tasksDidDelete") {
          this.note = "The task was deleted.";
          this.draw();
          this.closeEmitter.fire(0);
          return;
        }
        this.refresh.trigger();
      }),
    );
    this.writeEmitter.fire("\x1b[2J");
    this.refresh.trigger();
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.height = dimensions.rows;
    this.writeEmitter.fire("\x1b[2J");
    this.draw();
  }

  close(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  handleInput(data: string): void {
    for (const ev of this.editor.feed(data)) {
      if (ev.kind === "interrupt") void this.act("Interrupting…", () => this.model.sidecar.request("tasksInterrupt", { task: this.taskId }));
      else void this.act("Sending…", () => this.model.send(this.taskId, ev.line));
    }
    this.draw();
  }

  private async act(label: string, fn: () => Promise<unknown>): Promise<void> {
    this.note = label;
    this.draw();
    try {
      await fn();
      this.note = "";
    } catch (e) {
      this.note = describeError(toRpcError(e));
    }
    this.refresh.trigger();
  }

  private async fetch(): Promise<void> {
    try {
      this.screen = await this.model.sidecar.request("tasksScreen", { task: this.taskId });
    } catch (e) {
      this.note = describeError(toRpcError(e));
    }
    this.draw();
  }

  private draw(): void {
    const task = this.model.store.get(this.taskId);
    const status = task ? `${task.displayName} · ${KINDS[displayKind(task)].label}` : "";
    const hint = "Type a message and press Enter · Esc or Ctrl+C interrupts";
    this.writeEmitter.fire(renderFrame(this.screen, [status, this.note || hint].filter(Boolean).join(" · "), this.editor.line, this.height));
  }
}
