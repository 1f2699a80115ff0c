/**
 * Why the sidecar could not start, in words a user can act on. The extension runs a preflight
 * (`<python> -c "import taskyard"`) before starting the language client; its outcome maps here.
 */

import type { SidecarView } from "../protocol/webview";

export interface PreflightOutcome {
  python: string;
  /** How the interpreter was chosen, for the message. */
  source: "setting" | "python-extension" | "default";
  /** `spawn` error code, e.g. ENOENT or EACCES. */
  spawnError?: string;
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  timedOut?: boolean;
}

const SETTING = "`taskyard.pythonPath`";

export const INSTALL_HINT = "pip install taskyard";

/** The failure state for a preflight that did not print a version; null when it did. */
export function diagnosePreflight(o: PreflightOutcome): SidecarView | null {
  const where = o.source === "setting" ? `set in ${SETTING}` : o.source === "python-extension"
    ? "the Python extension's interpreter" : "the default";
  if (o.spawnError === "ENOENT") {
    return { state: "failed", python: o.python,
      message: `Python interpreter "${o.python}" (${where}) was not found.`,
      fix: `Install Python 3.11 or later, or point ${SETTING} at an interpreter that has Taskyard installed.` };
  }
  if (o.spawnError) {
    return { state: "failed", python: o.python,
      message: `Python interpreter "${o.python}" (${where}) could not be started (${o.spawnError}).`,
      fix: `Point ${SETTING} at a working Python interpreter.` };
  }
  if (o.timedOut) {
    return { state: "failed", python: o.python,
      message: `"${o.python}" did not answer within the time limit.`,
      fix: "Check the interpreter in a terminal, then restart the sidecar." };
  }
  const err = (o.stderr ?? "").trim();
  if (/No module named ['"]?taskyard/.test(err)) {
    return { state: "failed", python: o.python, detail: lastLine(err),
      message: `The Taskyard sidecar is not installed for "${o.python}".`,
      fix: `Install it into that interpreter, or point ${SETTING} at the one that has it.`,
      fixCommand: `${quote(o.python)} -m ${INSTALL_HINT}` };
  }
  if (o.exitCode !== 0) {
    return { state: "failed", python: o.python, detail: lastLine(err) || `exit code ${o.exitCode}`,
      message: `"${o.python}" could not load Taskyard.`,
      fix: `See "Taskyard: Show Sidecar Output" for details, fix the interpreter or ${SETTING}, then restart the sidecar.` };
  }
  return null;
}

/** The failure state when the language client itself failed or the process kept exiting. */
export function diagnoseCrash(python: string, reason: string): SidecarView {
  return { state: "failed", python, detail: reason,
    message: "The Taskyard sidecar stopped unexpectedly.",
    fix: 'Check "Taskyard: Show Sidecar Output" for the cause, then restart the sidecar. Running tasks are not affected.' };
}

function lastLine(s: string): string {
  const lines = s.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? "";
}

function quote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`;
}
