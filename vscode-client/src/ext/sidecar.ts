/**
 * The sidecar process: `python -m taskyard serve` over stdio through vscode-languageclient.
 *
 * A small state machine (stopped → starting → running | failed) with one start-up at a time.
 * The sidecar's stderr and the LSP trace (`taskyard.trace.server`) go to the output channel.
 * Restarting the sidecar never touches running tasks: their agents live in detached bridges.
 */

import * as vscode from "vscode";
import {
  CloseAction,
  type CloseHandlerResult,
  ErrorAction,
  type ErrorHandlerResult,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { diagnoseCrash, diagnosePreflight } from "../core/failure";
import { configurationChange, sameSidecarSettings } from "../core/settings";
import { type SidecarSettings, notifications, requests } from "../protocol/generated";
import type {
  NotificationKey,
  NotificationMessage,
  RequestKey,
  RpcParams,
  RpcResult,
  SidecarView,
} from "../protocol/webview";
import { type Interpreter, preflight, resolveInterpreter } from "./interpreter";
import { readSettings, sidecarSettings } from "./settings";

export class SidecarNotRunning extends Error {
  constructor(view: SidecarView) {
    super(
      view.state === "failed" ? `The Taskyard sidecar is not running: ${view.message ?? ""}`
        : view.state === "stopped" ? "The Taskyard sidecar is stopped; run \"Taskyard: Restart Sidecar\"."
          : "The Taskyard sidecar is starting; try again in a moment.",
    );
  }
}

/** Restarts allowed after unexpected exits within the window before giving up. */
const MAX_RESTARTS = 2;
const RESTART_WINDOW_MS = 3 * 60_000;

export class Sidecar implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private view: SidecarView = { state: "stopped" };
  private starting: Promise<void> | undefined;
  private stopping = false;
  private exits: number[] = [];
  private interp: Interpreter | undefined;
  /** The settings the running sidecar has (sent at `initialize` or since). */
  private sent: SidecarSettings | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<SidecarView>();
  private readonly noteEmitter = new vscode.EventEmitter<NotificationMessage>();
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  /** The sidecar's state changed (for the webview's failure state and the status bar). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** A `taskyard/*` notification arrived. */
  readonly onNotification = this.noteEmitter.event;
  /** The sidecar is (again) ready: views reload their lists. */
  readonly onReady = this.readyEmitter.event;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly workspaceFolder: () => string | undefined,
  ) {}

  get state(): SidecarView {
    return this.view;
  }

  /** The interpreter of the last start, and how it was chosen. */
  get interpreter(): Interpreter | undefined {
    return this.interp;
  }

  private set(view: SidecarView): void {
    this.view = view;
    if (view.state === "failed") this.output.error(`${view.message ?? "failed"}${view.detail ? `\n${view.detail}` : ""}`);
    this.stateEmitter.fire(view);
  }

  /** Starts the sidecar unless it is running or starting. */
  start(): Promise<void> {
    if (this.view.state === "running") return Promise.resolve();
    this.starting ??= this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.stop();
    this.exits = [];
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.stopping = true;
      try {
        await client.stop(5000);
      } catch (e) {
        this.output.warn(`stopping the sidecar: ${String(e)}`);
      } finally {
        this.stopping = false;
      }
      await client.dispose().catch(() => undefined);
    }
    this.set({ state: "stopped" });
  }

  private async doStart(): Promise<void> {
    const settings = readSettings();
    const interp = await resolveInterpreter(settings.pythonPath);
    this.interp = interp;
    this.set({ state: "starting", message: "Starting the Taskyard sidecar…", python: interp.python });
    this.output.info(`interpreter: ${interp.python} (${interp.source})`);
    const env = { ...process.env };
    const check = await preflight(interp, env);
    const failure = diagnosePreflight(check);
    if (failure) {
      this.set(failure);
      return;
    }
    const version = (check.stdout ?? "").trim();
    const serverOptions: ServerOptions = {
      command: interp.python,
      // No `transport`: with TransportKind.stdio the client would append `--stdio`, which
      // `taskyard serve` does not take (stdio is its default).
      args: ["-m", "taskyard", "serve"],
      options: { env, cwd: this.workspaceFolder() },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.output,
      // A function: an automatic restart after a crash sends the settings of that moment.
      initializationOptions: () => (this.sent = sidecarSettings()),
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => this.onClosed(interp.python),
      },
    };
    const client = new LanguageClient("taskyard", "Taskyard Sidecar", serverOptions, clientOptions);
    for (const key of Object.keys(notifications) as NotificationKey[]) {
      client.onNotification(notifications[key].method, (params: unknown) =>
        this.noteEmitter.fire({ key, params } as NotificationMessage),
      );
    }
    client.onDidChangeState((e) => {
      // Running (first start or an automatic restart): views load their lists.
      if (e.oldState === State.Starting && e.newState === State.Running && this.client === client && this.view.state !== "running") {
        this.set({ state: "running", python: interp.python, version });
        this.readyEmitter.fire();
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (e) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      this.set(diagnoseCrash(interp.python, e instanceof Error ? e.message : String(e)));
      return;
    }
    if (this.client !== client) return;
    this.output.info(`taskyard ${version} running`);
    // The state handler above usually got here first.
    if (this.view.state !== "running") {
      this.set({ state: "running", python: interp.python, version });
      this.readyEmitter.fire();
    }
  }

  private onClosed(python: string): CloseHandlerResult {
    if (this.stopping) return { action: CloseAction.DoNotRestart, handled: true };
    const now = Date.now();
    this.exits = [...this.exits.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (this.exits.length <= MAX_RESTARTS) {
      this.set({ state: "starting", message: "The sidecar exited; restarting it…", python });
      return { action: CloseAction.Restart, handled: true };
    }
    this.client = undefined;
    this.set(diagnoseCrash(python, `the process exited ${this.exits.length} times within 3 minutes`));
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  /** A typed sidecar request (params and result from the generated table). */
  async request<K extends RequestKey>(key: K, params: RpcParams<K>): Promise<RpcResult<K>> {
    if (this.view.state === "starting") await this.starting;
    const client = this.client;
    if (!client || this.view.state !== "running") throw new SidecarNotRunning(this.view);
    return client.sendRequest<RpcResult<K>>(requests[key].method, params);
  }

  /**
   * Tells a running sidecar about changed settings (`workspace/didChangeConfiguration` with
   * `{settings: {taskyard: SidecarSettings}}`); it is never restarted for them. Returns whether
   * anything was sent: settings equal to what the sidecar has are not sent again.
   *
   * Not `synchronize.configurationSection`: vscode-languageclient would send the raw
   * configuration values, without the `${workspaceFolder}`/`~` expansion and validation of
   * `core/settings.ts`, and its middleware could only replace the payload by bypassing `next`.
   */
  async notifySettings(): Promise<boolean> {
    const client = this.client;
    if (!client || this.view.state !== "running") return false;
    const settings = sidecarSettings();
    if (sameSidecarSettings(this.sent, settings)) return false;
    await client.sendNotification("workspace/didChangeConfiguration", configurationChange(settings));
    this.sent = settings;
    return true;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.noteEmitter.dispose();
    this.readyEmitter.dispose();
  }
}
