/**
 * The extension's settings (`contributes.configuration`), read in one place, with
 * `${workspaceFolder}`, `${userHome}` and `~` expanded here rather than in the sidecar.
 */

import * as os from "node:os";
import * as vscode from "vscode";
import type { NotificationLevel } from "../core/presentation";

export interface Settings {
  pythonPath: string;
  templateFolders: string[];
  defaultProvider: "auto" | "local" | "docker";
  notifications: NotificationLevel;
  hideTasks: boolean;
}

export function expand(value: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  return value
    .replace(/\$\{workspaceFolder\}/g, folder)
    .replace(/\$\{userHome\}/g, os.homedir())
    .replace(/^~(?=$|\/)/, os.homedir());
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration("taskyard");
  return {
    pythonPath: expand(c.get<string>("pythonPath", "").trim()),
    templateFolders: c.get<string[]>("templateFolders", []).map(expand),
    defaultProvider: c.get<Settings["defaultProvider"]>("defaultProvider", "auto"),
    notifications: c.get<NotificationLevel>("notifications", "all"),
    hideTasks: c.get<boolean>("hideTasks", false),
  };
}

/** What the sidecar receives as `initializationOptions` and on `workspace/didChangeConfiguration`. */
export function sidecarSettings(s: Settings): { templateFolders: string[]; defaultProvider: string } {
  return { templateFolders: s.templateFolders, defaultProvider: s.defaultProvider };
}
