/**
 * Entry point: builds the sidecar, the task model, the sidebar view, the commands and the
 * attention (notifications and status bar), and follows settings changes without ever
 * restarting running tasks.
 */

import * as vscode from "vscode";
import type { WorkbenchCommand } from "../protocol/webview";
import { Attention } from "./attention";
import { Commands } from "./commands";
import { onPythonInterpreterChange } from "./interpreter";
import { TaskModel } from "./model";
import { SIDECAR_SETTINGS, readSettings } from "./settings";
import { Sidecar } from "./sidecar";
import { TasksView, VIEW_ID } from "./tasksView";

let sidecar: Sidecar | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Taskyard", { log: true });
  sidecar = new Sidecar(output, () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  const model = new TaskModel(sidecar, output);
  const view = new TasksView(context.extensionUri, model, (c) => workbenchCommand(c, model));
  const attention = new Attention(model, view.onDidOpenTask);
  context.subscriptions.push(
    output,
    sidecar,
    model,
    view,
    attention,
    vscode.window.registerWebviewViewProvider(VIEW_ID, view),
    ...new Commands(model, view, output).register(),
    vscode.workspace.onDidChangeConfiguration((e) => onSettings(e, model, attention)),
    followPythonExtension(sidecar),
  );
  if (!readSettings().hideTasks) void sidecar.start();
}

/**
 * When the sidecar runs on the Python extension's interpreter and the user picks another one
 * there, offer a restart (never forced: the choice may be for something else entirely).
 */
function followPythonExtension(sc: Sidecar): vscode.Disposable {
  let listening: vscode.Disposable | undefined;
  const ready = sc.onReady(() => {
    if (listening || sc.interpreter?.source !== "python-extension") return;
    listening = onPythonInterpreterChange(() => {
      if (readSettings().pythonPath || sc.interpreter?.source !== "python-extension") return;
      offerRestart(sc, "The Python extension's interpreter changed.");
    });
  });
  return { dispose: () => { ready.dispose(); listening?.dispose(); } };
}

function offerRestart(sc: Sidecar, why: string): void {
  void vscode.window
    .showInformationMessage(`${why} Restart the Taskyard sidecar to use it? Running tasks keep running.`, "Restart Sidecar")
    .then((c) => c && sc.restart());
}

async function workbenchCommand(command: WorkbenchCommand, model: TaskModel): Promise<void> {
  switch (command) {
    case "restartSidecar":
      return model.sidecar.restart();
    case "showOutput":
      return void vscode.commands.executeCommand("taskyard.showOutput");
    case "openSettings":
      return void vscode.commands.executeCommand("workbench.action.openSettings", "taskyard.pythonPath");
    case "copyFixCommand": {
      const fix = model.sidecar.state.fixCommand;
      if (fix) {
        await vscode.env.clipboard.writeText(fix);
        void vscode.window.setStatusBarMessage("Copied the install command", 3000);
      }
      return;
    }
    case "openTemplateFolder": {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      if (!folder) {
        void vscode.window.showInformationMessage("Open a folder first: its .taskyard/templates folder holds task templates.");
        return;
      }
      const templates = vscode.Uri.joinPath(folder, ".taskyard", "templates");
      await vscode.workspace.fs.createDirectory(templates);
      await vscode.commands.executeCommand("revealInExplorer", templates);
      return;
    }
  }
}

function onSettings(e: vscode.ConfigurationChangeEvent, model: TaskModel, attention: Attention): void {
  if (!e.affectsConfiguration("taskyard")) return;
  const s = readSettings();
  const sc = model.sidecar;
  if (e.affectsConfiguration("taskyard.hideTasks")) {
    if (s.hideTasks) void sc.stop();
    else void sc.start();
  } else if (e.affectsConfiguration("taskyard.pythonPath")) {
    // A sidecar that could not start gets another try; a running one keeps serving until the
    // user restarts it (restarting is cheap, but it is the user's call).
    if (sc.state.state === "failed" || sc.state.state === "stopped") void sc.restart();
    else offerRestart(sc, "The interpreter setting changed.");
  }
  // Where tasks run and which templates exist: told to the running sidecar, never a restart.
  if (SIDECAR_SETTINGS.some((key) => e.affectsConfiguration(key))) void model.applySettings();
  attention.update();
}

export async function deactivate(): Promise<void> {
  await sidecar?.stop();
}
