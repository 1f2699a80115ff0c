/**
 * Entry point: builds the sidecar, the task model, the sidebar view, the commands and the
 * attention (notifications and status bar), and follows settings changes without ever
 * restarting running tasks.
 */

import * as vscode from "vscode";
import type { WorkbenchCommand } from "../protocol/webview";
import { Attention } from "./attention";
import { Commands } from "./commands";
import { TaskModel } from "./model";
import { readSettings } from "./settings";
import { Sidecar } from "./sidecar";
import { TasksView, VIEW_ID } from "./tasksView";

let sidecar: Sidecar | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Taskyard", { log: true });
  sidecar = new Sidecar(output, () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  const model = new TaskModel(sidecar, output);
  const view = new TasksView(context.extensionUri, model, (c) => workbenchCommand(c, model));
  const attention = new Attention(model);
  context.subscriptions.push(
    output,
    sidecar,
    model,
    view,
    attention,
    vscode.window.registerWebviewViewProvider(VIEW_ID, view),
    ...new Commands(model, view, output).register(),
    vscode.workspace.onDidChangeConfiguration((e) => onSettings(e, model, attention)),
  );
  if (!readSettings().hideTasks) void sidecar.start();
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
    else {
      void vscode.window
        .showInformationMessage("Restart the Taskyard sidecar to use the new interpreter? Running tasks keep running.", "Restart Sidecar")
        .then((c) => c && sc.restart());
    }
  }
  if (e.affectsConfiguration("taskyard.templateFolders") || e.affectsConfiguration("taskyard.defaultProvider")) {
    sc.notifySettings();
  }
  attention.update();
}

export async function deactivate(): Promise<void> {
  await sidecar?.stop();
}
