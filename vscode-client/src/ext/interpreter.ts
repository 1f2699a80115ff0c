/**
 * Which Python runs the sidecar: `taskyard.pythonPath`, else the Python extension's active
 * interpreter, else `python3`; and the preflight that checks it can import Taskyard.
 */

import { execFile } from "node:child_process";
import * as vscode from "vscode";
import type { PreflightOutcome } from "../core/failure";

export interface Interpreter {
  python: string;
  source: PreflightOutcome["source"];
}

interface PythonEnvironmentsApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

async function fromPythonExtension(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonEnvironmentsApi>("ms-python.python");
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = api.environments?.getActiveEnvironmentPath(resource)?.path;
    if (active && active !== "python") return active;
    return api.settings?.getExecutionDetails(resource).execCommand?.[0];
  } catch {
    return undefined;
  }
}

export async function resolveInterpreter(setting: string): Promise<Interpreter> {
  if (setting) return { python: setting, source: "setting" };
  const fromExt = await fromPythonExtension();
  if (fromExt) return { python: fromExt, source: "python-extension" };
  return { python: "python3", source: "default" };
}

/** Runs `<python> -c "import taskyard"` and reports what happened (never throws). */
export function preflight(interp: Interpreter, env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<PreflightOutcome> {
  const code = "import sys, taskyard; print(taskyard.__version__)";
  return new Promise((resolve) => {
    execFile(interp.python, ["-c", code], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      const out: PreflightOutcome = { ...interp, stdout: String(stdout), stderr: String(stderr) };
      if (error) {
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        if (typeof e.code === "string") out.spawnError = e.code;
        else if (e.killed) out.timedOut = true;
        else out.exitCode = typeof e.code === "number" ? e.code : 1;
      } else {
        out.exitCode = 0;
      }
      resolve(out);
    });
  });
}
