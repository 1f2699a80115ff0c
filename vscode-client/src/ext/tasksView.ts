/**
 * The sidebar webview view: serves the HTML (strict CSP with a nonce), routes the webview's
 * messages (one handler per message type) and pushes everything the sidecar announces.
 * It holds no task logic: calls go to the sidecar or to the extension's commands.
 */

import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { Coalescer } from "../core/coalesce";
import { toRpcError } from "../core/errors";
import { type Handlers, forwardRpc, parseFromWebview, route } from "../core/router";
import type { FromWebview, TaskActionName, ToWebview, WorkbenchCommand } from "../protocol/webview";
import type { TaskModel } from "./model";

export const VIEW_ID = "taskyard.tasks";

export class TasksView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private selected: string | null = null;
  private pendingReveal: ToWebview | undefined;
  private readonly screens = new Map<string, Coalescer>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly openEmitter = new vscode.EventEmitter<string>();
  /** The user opened a task: picked it in the panel, or a command or a toast's link showed it. */
  readonly onDidOpenTask = this.openEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: TaskModel,
    private readonly runCommand: (command: WorkbenchCommand) => Promise<void>,
  ) {
    const { sidecar, store } = model;
    this.disposables.push(
      this.openEmitter,
      sidecar.onDidChangeState((s) => this.post({ type: "sidecar", sidecar: s })),
      model.onDidChangeInfo((info) => this.post({ type: "serverInfo", info })),
      sidecar.onNotification((note) => {
        this.post({ type: "notification", note });
        const id = "taskId" in note.params ? note.params.taskId : "task" in note.params ? note.params.task.id : undefined;
        if (id && note.key !== "tasksLogDidAppend") this.screens.get(id)?.trigger();
      }),
      model.onDidReload(() => {
        this.post({ type: "tasks", tasks: store.list(), catalog: store.catalog });
        if (this.selected) void this.loadDetail(this.selected);
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const root = vscode.Uri.joinPath(this.extensionUri, "dist", "webview");
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    view.webview.html = this.html(view.webview, root);
    view.webview.onDidReceiveMessage((raw: unknown) => {
      const msg = parseFromWebview(raw);
      if (msg) void Promise.resolve(route(this.handlers, msg)).catch((e) => console.error(e));
    });
    // Docker may have started or stopped while the panel was away: ask again when it shows.
    view.onDidChangeVisibility(() => {
      if (view.visible) void this.model.refreshInfo();
    });
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
      this.screens.clear();
    });
  }

  /** Shows the view with a task open (or the list with the create form). */
  async reveal(taskId: string | null, focusPrompt = false): Promise<void> {
    if (taskId) this.openEmitter.fire(taskId);
    const msg: ToWebview = { type: "reveal", taskId, focusPrompt };
    if (this.view && this.ready) {
      this.view.show(true);
      this.post(msg);
    } else {
      this.pendingReveal = msg;
      await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
    }
  }

  /** An extension-side action on a task started or ended (spinner and label in the panel). */
  pending(taskId: string, label: string | null): void {
    this.post({ type: "pending", taskId, label });
  }

  private post(msg: ToWebview): void {
    if (this.view && this.ready) void this.view.webview.postMessage(msg);
  }

  private readonly handlers: Handlers<FromWebview> = {
    ready: () => {
      this.ready = true;
      const { store, sidecar } = this.model;
      this.post({
        type: "init",
        snapshot: {
          sidecar: sidecar.state,
          catalog: store.catalog,
          tasks: store.list(),
          selected: this.selected,
          serverInfo: this.model.info,
        },
      });
      if (this.pendingReveal) {
        this.post(this.pendingReveal);
        this.pendingReveal = undefined;
      }
    },
    rpc: async (req) => {
      const response = await forwardRpc((key, params) => this.model.sidecar.request(key, params as never), req);
      if (response.ok && (req.key === "tasksCreate" || req.key === "tasksPause" || req.key === "tasksResume" || req.key === "tasksInterrupt")) {
        this.model.store.upsert(response.result as never);
      }
      this.post(response);
    },
    send: async ({ id, taskId, content }) => {
      try {
        const result = await this.model.send(taskId, content);
        this.post({ type: "rpcResult", id, ok: true, result });
      } catch (e) {
        this.post({ type: "rpcResult", id, ok: false, error: toRpcError(e) });
      }
    },
    action: ({ action, taskId }) => vscode.commands.executeCommand(`taskyard.${ACTION_COMMANDS[action]}`, taskId),
    command: ({ command }) => this.runCommand(command),
    select: async ({ taskId }) => {
      // The webview re-sends its selection when it reloads a conversation: only a change counts.
      const opened = taskId !== null && taskId !== this.selected;
      this.selected = taskId;
      if (opened) this.openEmitter.fire(taskId);
      if (taskId) await this.loadDetail(taskId);
    },
    watchScreen: ({ taskId, on }) => {
      if (!on) {
        this.screens.delete(taskId);
        return;
      }
      const refresh = new Coalescer(async () => {
        if (!this.screens.has(taskId)) return;
        try {
          const screen = await this.model.sidecar.request("tasksScreen", { task: taskId });
          this.post({ type: "screen", taskId, screen });
        } catch (e) {
          this.post({ type: "screen", taskId, screen: null, error: toRpcError(e).message });
        }
      });
      this.screens.set(taskId, refresh);
      refresh.trigger();
    },
  };

  private async loadDetail(taskId: string): Promise<void> {
    const { store } = this.model;
    try {
      await this.model.loadConversation(taskId);
      const conv = store.conversations.get(taskId);
      if (conv && this.selected === taskId) {
        this.post({ type: "messages", taskId, result: { messages: conv.messages, snapshot: conv.snapshot, ...(conv.snapshotAt ? { snapshotAt: conv.snapshotAt } : {}) } });
      }
    } catch {
      // a task that is still coming up has no conversation yet; notifications bring it
    }
    try {
      await this.model.loadLogs(taskId);
      if (this.selected === taskId) this.post({ type: "logs", taskId, lines: store.logs.get(taskId) ?? [] });
    } catch {
      // the log view fills from notifications
    }
  }

  private html(webview: vscode.Webview, root: vscode.Uri): string {
    const nonce = randomBytes(16).toString("base64");
    const uri = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri("codicon.css")}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<link rel="stylesheet" href="${uri("style.css")}" nonce="${nonce}">
<title>Taskyard</title>
</head>
<body>
<div id="app" data-testid="app"></div>
<script type="module" nonce="${nonce}" src="${uri("main.js")}"></script>
</body>
</html>`;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

const ACTION_COMMANDS = {
  delete: "deleteTask",
  downloadLogs: "downloadLogs",
  attachTerminal: "attachTerminal",
  openFolder: "openWorkspaceFolder",
  pause: "pauseTask",
  resume: "resumeTask",
  interrupt: "interruptTask",
  showChanges: "showChanges",
  savePatch: "saveChangesAsPatch",
  exportBranch: "exportBranch",
} as const satisfies Record<TaskActionName, string>;
