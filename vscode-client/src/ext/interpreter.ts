/**
 * Which Python runs the sidecar (`core/interpreter.ts` holds the rules: the setting, else the
 * Python extension's active interpreter, else `python3`), and the preflight that checks it can
 * import Taskyard.
 */

import { execFile } from "node:child_process";
import * as vscode from "vscode";
import type { PreflightOutcome } from "../core/failure";
import { type Interpreter, PYTHON_EXTENSION_ID, type PythonExtensionApi, chooseInterpreter } from "../core/interpreter";

export type { Interpreter };

function pythonExtension(): vscode.Extension<PythonExtensionApi> | undefined {
  return vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
}

export function resolveInterpreter(setting: string): Promise<Interpreter> {
  return chooseInterpreter(setting, pythonExtension(), vscode.workspace.workspaceFolders?.[0]?.uri);
}

/**
 * Calls `listener` when the user picks another interpreter in the Python extension (only once
 * that extension is active; Taskyard never activates it just to listen).
 */
export function onPythonInterpreterChange(listener: () => void): vscode.Disposable | undefined {
  const ext = pythonExtension();
  if (!ext?.isActive) return undefined;
  try {
    return ext.exports.environments?.onDidChangeActiveEnvironmentPath?.(listener);
  } catch {
    return undefined;
  }
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
