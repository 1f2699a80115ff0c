/**
 * The sidebar's state and what the user can do: the store mirrored from the sidecar, the create
 * form, the composer, and the actions the views call. Changes ask for a render; `main.ts` owns
 * the render loop.
 */

import { describeError } from "../core/errors";
import { defaultPreset, errorsByField, formFor, initialValues, parametersToSend, switchPreset } from "../core/form";
import { sendNote } from "../core/presentation";
import { TaskStore } from "../core/store";
import type { ServerInfo, Task, Template, TasksScreenResult } from "../protocol/generated";
import type { SidecarView } from "../protocol/webview";
import { RpcFailure, call, loadPersisted, post, savePersisted, sendToTask } from "./bridge";

let requestRender: () => void = () => undefined;

/** Called by the render loop once, so actions can ask for a render. */
export function onRenderRequest(fn: () => void): void {
  requestRender = fn;
}

export function scheduleRender(): void {
  requestRender();
}

export const store = new TaskStore();
const persisted = loadPersisted();

export const state = {
  initialized: false,
  sidecar: { state: "starting" } as SidecarView,
  serverInfo: null as ServerInfo | null,
  /** The provider notice the user closed (its title): shown again only when it changes. */
  dismissedNotice: null as string | null,
  selected: null as string | null,
  pending: new Map<string, string>(),
  menuFor: null as string | null,
  screenOn: false,
  screens: new Map<string, { screen: TasksScreenResult | null; error?: string }>(),
  logsOpen: false,
  scrollToEnd: false,
  form: {
    template: persisted.template ?? "",
    preset: null as string | null,
    values: {} as Record<string, string>,
    errors: {} as Record<string, string>,
    general: [] as string[],
    createError: "",
    creating: false,
    prompt: persisted.prompt ?? "",
    open: persisted.createOpen ?? true,
  },
  composer: {
    drafts: persisted.drafts ?? ({} as Record<string, string>),
    sending: false,
    error: "",
    note: "",
  },
};

export function persist(): void {
  savePersisted({
    template: state.form.template,
    presets: { ...(persisted.presets ?? {}), [state.form.template]: state.form.preset },
    prompt: state.form.prompt,
    createOpen: state.form.open,
    drafts: state.composer.drafts,
  });
}

// ---------------------------------------------------------------------------------------------
// Actions

export function select(taskId: string | null): void {
  if (state.selected && state.screenOn) post({ type: "watchScreen", taskId: state.selected, on: false });
  state.selected = taskId;
  state.menuFor = null;
  state.composer.error = "";
  state.composer.note = "";
  state.screenOn = false;
  state.scrollToEnd = true;
  post({ type: "select", taskId });
  scheduleRender();
  window.scrollTo(0, 0);
}

export function templates(): Template[] {
  return store.catalog?.templates ?? [];
}

export function currentTemplate(): Template | undefined {
  return templates().find((t) => t.name === state.form.template);
}

/** Keeps the form's template valid when the catalog changes, choosing demo or the first. */
export function syncTemplate(): void {
  const list = templates();
  if (!list.length) return;
  const keep = list.find((t) => t.name === state.form.template);
  const t = keep ?? list.find((x) => x.name === "demo") ?? list[0]!;
  if (keep && Object.keys(state.form.values).length) return;
  chooseTemplate(t.name);
}

export function chooseTemplate(name: string): void {
  const t = templates().find((x) => x.name === name);
  if (!t) return;
  state.form.template = name;
  const remembered = persisted.presets?.[name];
  state.form.preset = remembered !== undefined && (remembered === null || t.presets.some((p) => p.name === remembered)) ? remembered : defaultPreset(t);
  state.form.values = initialValues(t, state.form.preset);
  state.form.errors = {};
  state.form.general = [];
  state.form.createError = "";
  persist();
}

export function choosePreset(name: string | null): void {
  const t = currentTemplate();
  if (!t) return;
  state.form.values = switchPreset(t, state.form.preset, name, state.form.values);
  state.form.preset = name;
  persist();
  validateSoon();
}

export function setValue(name: string, value: string): void {
  state.form.values = { ...state.form.values, [name]: value };
  scheduleRender();
  validateSoon();
}

let validateTimer: ReturnType<typeof setTimeout> | undefined;
let validateSeq = 0;

export function validateSoon(): void {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(() => void validate(), 250);
}

async function validate(): Promise<boolean> {
  const t = currentTemplate();
  if (!t) return false;
  const seq = ++validateSeq;
  const preset = state.form.preset;
  try {
    const result = await call("templatesValidate", {
      template: t.name,
      ...(preset ? { preset } : {}),
      parameters: parametersToSend(t, preset, state.form.values),
    });
    if (seq !== validateSeq) return result.valid;
    const { byField, general } = errorsByField(result.errors, formFor(t, preset));
    state.form.errors = byField;
    state.form.general = general;
    scheduleRender();
    return result.valid;
  } catch {
    return true; // the create request validates again
  }
}

export async function createTask(): Promise<void> {
  const t = currentTemplate();
  const prompt = state.form.prompt.trim();
  if (!t || state.form.creating) return;
  if (!prompt) {
    state.form.createError = "Describe what the agent should do.";
    scheduleRender();
    return;
  }
  state.form.creating = true;
  state.form.createError = "";
  scheduleRender();
  const preset = state.form.preset;
  try {
    const task = await call("tasksCreate", {
      template: t.name,
      ...(preset ? { preset } : {}),
      parameters: parametersToSend(t, preset, state.form.values),
      prompt,
    });
    store.upsert(task);
    state.form.prompt = "";
    persist();
    select(task.id);
  } catch (e) {
    const err = e instanceof RpcFailure ? e.error : { message: String(e) };
    if (err.kind === "invalidParameters" && err.parameterErrors) {
      const { byField, general } = errorsByField(err.parameterErrors, formFor(t, preset));
      state.form.errors = byField;
      state.form.general = general;
      state.form.createError = "Fix the highlighted parameters.";
    } else {
      state.form.createError = describeError(err);
    }
  } finally {
    state.form.creating = false;
    scheduleRender();
  }
}

export async function sendMessage(task: Task): Promise<void> {
  const content = (state.composer.drafts[task.id] ?? "").trim();
  if (!content || state.composer.sending) return;
  state.composer.sending = true;
  state.composer.error = "";
  state.composer.note = sendNote("sending", task);
  scheduleRender();
  try {
    const result = await sendToTask(task.id, content);
    state.composer.drafts[task.id] = "";
    state.composer.note = sendNote("sent", task, result);
    persist();
  } catch (e) {
    state.composer.error = describeError(e instanceof RpcFailure ? e.error : { message: String(e) });
    state.composer.note = "";
  } finally {
    state.composer.sending = false;
    scheduleRender();
  }
}

export async function quick(task: Task, key: "tasksPause" | "tasksResume" | "tasksInterrupt", label: string): Promise<void> {
  state.pending.set(task.id, label);
  scheduleRender();
  try {
    store.upsert(await call(key, { task: task.id }));
  } catch (e) {
    state.composer.error = describeError(e instanceof RpcFailure ? e.error : { message: String(e) });
  } finally {
    state.pending.delete(task.id);
    scheduleRender();
  }
}

export function toggleScreen(task: Task): void {
  state.screenOn = !state.screenOn;
  post({ type: "watchScreen", taskId: task.id, on: state.screenOn });
  scheduleRender();
}
