/**
 * Which Python runs the sidecar: `taskyard.pythonPath`, else the Python extension's active
 * interpreter, else `python3`. The Python extension (`ms-python.python`) is reached through the
 * shapes of its public API (`@vscode/python-extension`), so tests pass a fake extension object.
 */

import type { PreflightOutcome } from "./failure";

export interface Interpreter {
  python: string;
  source: PreflightOutcome["source"];
}

/** The parts of `vscode.Extension<T>` used here. */
export interface ExtensionLike<T> {
  readonly isActive: boolean;
  readonly exports: T;
  activate(): PromiseLike<T>;
}

/** The parts of the Python extension's API used here (`PythonExtension` in its facade). */
export interface PythonExtensionApi {
  /** Resolves once the extension finished loading. */
  ready?: Promise<void>;
  environments?: {
    /** The environment selected for the resource; `path` may be a folder or an invalid path. */
    getActiveEnvironmentPath(resource?: unknown): { id: string; path: string } | undefined;
    /** Full details, or undefined when the environment is invalid. */
    resolveEnvironment(environment: { id: string; path: string } | string): Promise<
      { executable: { uri: { fsPath: string } | undefined } } | undefined
    >;
    onDidChangeActiveEnvironmentPath?: (listener: () => void) => { dispose(): void };
  };
  /** Older API, still shipped: the command the extension runs Python with. */
  settings?: {
    getExecutionDetails(resource?: unknown): { execCommand: string[] | undefined };
  };
}

export const PYTHON_EXTENSION_ID = "ms-python.python";
/** The Python extension gets this long to activate and answer before `python3` is used. */
export const PYTHON_EXTENSION_TIMEOUT_MS = 10_000;

function within<T>(p: PromiseLike<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([Promise.resolve(p), timeout]).finally(() => clearTimeout(timer));
}

/** A bare `python` is the Python extension's placeholder when nothing is selected. */
function useful(path: string | undefined): string | undefined {
  return path && path.trim() && path.trim() !== "python" ? path.trim() : undefined;
}

async function askPythonExtension(ext: ExtensionLike<PythonExtensionApi>, resource: unknown): Promise<string | undefined> {
  const api = ext.isActive ? ext.exports : await ext.activate();
  if (!api) return undefined;
  await api.ready;
  const envs = api.environments;
  if (envs) {
    const active = envs.getActiveEnvironmentPath(resource);
    if (active) {
      const resolved = await envs.resolveEnvironment(active);
      const executable = useful(resolved?.executable.uri?.fsPath);
      if (executable) return executable;
    }
  }
  return useful(api.settings?.getExecutionDetails(resource).execCommand?.[0]);
}

/**
 * The Python extension's interpreter for `resource`: its active environment resolved to an
 * executable, else the command it runs Python with; undefined when the extension is missing,
 * fails, has nothing selected or does not answer within `timeoutMs`.
 */
export async function fromPythonExtension(
  ext: ExtensionLike<PythonExtensionApi> | undefined,
  resource: unknown,
  timeoutMs = PYTHON_EXTENSION_TIMEOUT_MS,
): Promise<string | undefined> {
  if (!ext) return undefined;
  try {
    return await within(askPythonExtension(ext, resource), timeoutMs);
  } catch {
    return undefined;
  }
}

/** The setting, else the Python extension's interpreter, else `python3`. */
export async function chooseInterpreter(
  setting: string,
  ext: ExtensionLike<PythonExtensionApi> | undefined,
  resource: unknown,
  timeoutMs = PYTHON_EXTENSION_TIMEOUT_MS,
): Promise<Interpreter> {
  if (setting.trim()) return { python: setting.trim(), source: "setting" };
  const fromExt = await fromPythonExtension(ext, resource, timeoutMs);
  if (fromExt) return { python: fromExt, source: "python-extension" };
  return { python: "python3", source: "default" };
}
