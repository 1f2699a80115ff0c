/**
 * "Attach Terminal": a pseudoterminal showing the agent's live screen. What the user types goes
 * to the agent's terminal as raw keys (`taskyard/tasks/keys`), so the agent's own input line,
 * menus and shortcuts work as in its terminal. The screen is fetched again when the sidecar
 * announces a change of the task or its conversation, and after keys were sent (once at once,
 * once a moment later for the agent's echo); there is no polling timer.
 */

import * as vscode from "vscode";
import { Coalescer } from "../core/coalesce";
import { describeError, toRpcError } from "../core/errors";
import { KINDS, displayKind } from "../core/presentation";
import { KeyQueue, renderFrame } from "../core/terminal";
import type { TasksScreenResult } from "../protocol/generated";
import type { TaskModel } from "./model";

/** How long after sending keys the screen is fetched once more, for the agent's echo. */
const ECHO_MS = 150;

export class TaskTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private screen: TasksScreenResult | null = null;
  private note = "";
  private readonly refresh = new Coalescer(() => this.fetch());
  private readonly keys: KeyQueue;
  private readonly subscriptions: vscode.Disposable[] = [];
  private height: number | undefined;
  private columns: number | undefined;
  private echo: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly model: TaskModel, private readonly taskId: string) {
    this.keys = new KeyQueue(
      (data) => this.model.sidecar.request("tasksKeys", { task: this.taskId, data }),
      (e) => {
        this.note = `${describeError(toRpcError(e), "type into the agent's terminal")} (typed keys were dropped)`;
        this.draw();
      },
      () => this.afterKeys(),
    );
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.height = dimensions?.rows;
    this.columns = dimensions?.columns;
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
    this.columns = dimensions.columns;
    this.writeEmitter.fire("\x1b[2J");
    this.draw();
  }

  close(): void {
    clearTimeout(this.echo);
    for (const s of this.subscriptions) s.dispose();
  }

  handleInput(data: string): void {
    this.keys.push(data);
  }

  private afterKeys(): void {
    if (this.note) {
      this.note = "";
      this.draw();
    }
    this.refresh.trigger();
    clearTimeout(this.echo);
    this.echo = setTimeout(() => this.refresh.trigger(), ECHO_MS);
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
    const hint = "typing goes to the agent · close the terminal to detach";
    const line = [status, this.note || hint].filter(Boolean).join(" · ");
    this.writeEmitter.fire(renderFrame(this.screen, line, this.height, this.columns));
  }
}
