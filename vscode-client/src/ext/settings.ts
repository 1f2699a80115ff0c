/**
 * The extension's settings (`contributes.configuration`), read in one place, with
 * `${workspaceFolder}`, `${userHome}` and `~` expanded here rather than in the sidecar.
 */

import * as os from "node:os";
import * as vscode from "vscode";
import type { NotificationLevel } from "../core/presentation";
import { type Places, expandVariables, folderSetting, providerSetting, toSidecarSettings } from "../core/settings";
import type { SidecarSettings, TemplateProvider } from "../protocol/generated";

export interface Settings {
  pythonPath: string;
  templateFolders: string[];
  defaultProvider: TemplateProvider;
  notifications: NotificationLevel;
  hideTasks: boolean;
}

/** The settings that travel to the sidecar; a change to any other never reaches it. */
export const SIDECAR_SETTINGS = ["taskyard.templateFolders", "taskyard.defaultProvider"] as const;

function places(): Places {
  return { workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "", home: os.homedir() };
}

function expand(value: string): string {
  return expandVariables(value, places());
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration("taskyard");
  return {
    pythonPath: expand(c.get<string>("pythonPath", "").trim()),
    templateFolders: folderSetting(c.get<unknown>("templateFolders", []), places()),
    defaultProvider: providerSetting(c.get<unknown>("defaultProvider", "auto")),
    notifications: c.get<NotificationLevel>("notifications", "all"),
    hideTasks: c.get<boolean>("hideTasks", false),
  };
}

/** What the sidecar receives as `initializationOptions` and on `workspace/didChangeConfiguration`. */
export function sidecarSettings(s: Settings = readSettings()): Required<SidecarSettings> {
  return toSidecarSettings(s);
}
