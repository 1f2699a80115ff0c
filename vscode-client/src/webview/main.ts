/**
 * The sidebar app's entry: registers VS Code Elements, applies the extension's messages to the
 * state (one handler per message type) and renders. Every change arrives as a message; the only
 * timer re-words relative times.
 */

import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-collapsible/index.js";
import "@vscode-elements/elements/dist/vscode-context-menu/index.js";
import "@vscode-elements/elements/dist/vscode-multi-select/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-progress-ring/index.js";
import "@vscode-elements/elements/dist/vscode-radio-group/index.js";
import "@vscode-elements/elements/dist/vscode-radio/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-textarea/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import "@vscode-elements/elements/dist/vscode-toolbar-button/index.js";

import { render } from "lit";
import { displayKind } from "../core/presentation";
import { type Handlers, route } from "../core/router";
import type { ToWebview } from "../protocol/webview";
import { post, settle } from "./bridge";
import { onRenderRequest, scheduleRender, select, state, store, syncTemplate } from "./state";
import { view } from "./views";

// ---------------------------------------------------------------------------------------------
// Messages from the extension

const handlers: Handlers<ToWebview> = {
  init: ({ snapshot }) => {
    state.initialized = true;
    state.sidecar = snapshot.sidecar;
    state.serverInfo = snapshot.serverInfo;
    store.reset(snapshot.tasks, snapshot.catalog);
    syncTemplate();
    if (snapshot.selected && store.get(snapshot.selected)) select(snapshot.selected);
  },
  sidecar: ({ sidecar }) => {
    state.sidecar = sidecar;
  },
  serverInfo: ({ info }) => {
    state.serverInfo = info;
  },
  notification: ({ note }) => {
    const before = note.key === "tasksDidChange" ? store.get(note.params.task.id) : undefined;
    store.apply(note);
    if (note.key === "templatesDidChange") syncTemplate();
    if (note.key === "tasksDidChange" && note.params.task.id === state.selected) {
      const after = note.params.task;
      if (state.composer.note && before && displayKind(before) === "working" && displayKind(after) !== "working") state.composer.note = "";
      // Pausing swaps the live conversation for the saved snapshot, resuming swaps it back.
      if (before && (before.status === "paused") !== (after.status === "paused")) post({ type: "select", taskId: after.id });
    }
    if (note.key === "tasksDidDelete" && note.params.id === state.selected) select(null);
  },
  tasks: ({ tasks, catalog }) => {
    store.reset(tasks, catalog);
    syncTemplate();
    if (state.selected && !store.get(state.selected)) select(null);
  },
  messages: ({ taskId, result }) => store.setConversation(taskId, result),
  logs: ({ taskId, lines }) => store.setLogs(taskId, lines),
  screen: ({ taskId, screen, error }) => {
    state.screens.set(taskId, error ? { screen, error } : { screen });
  },
  reveal: ({ taskId, focusPrompt }) => {
    select(taskId && store.get(taskId) ? taskId : null);
    if (focusPrompt) {
      state.form.open = true;
      requestAnimationFrame(() => (document.querySelector('[data-testid="prompt"]') as HTMLElement | null)?.focus());
    }
  },
  pending: ({ taskId, label }) => {
    if (label) state.pending.set(taskId, label);
    else state.pending.delete(taskId);
  },
  rpcResult: (res) => settle(res),
};

window.addEventListener("message", (e: MessageEvent<ToWebview>) => {
  route(handlers, e.data);
  scheduleRender();
});

// ---------------------------------------------------------------------------------------------
// Rendering

onRenderRequest(renderSoon);
const root = document.getElementById("app")!;
let scheduled = false;

function renderSoon(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const body = document.querySelector<HTMLElement>(".detail-body");
    const follow = state.scrollToEnd || !body || body.scrollTop + body.clientHeight >= body.scrollHeight - 40;
    render(view(), root);
    // Follow the conversation while the reader is at its end; the screen always shows its end.
    const after = document.querySelector<HTMLElement>(".detail-body");
    if (after && follow) after.scrollTop = after.scrollHeight;
    if (after) state.scrollToEnd = false;
    const screen = document.querySelector<HTMLElement>(".screen");
    if (screen) screen.scrollTop = screen.scrollHeight;
  });
}

store.onChange(() => scheduleRender());
document.addEventListener("click", () => {
  if (state.menuFor) {
    state.menuFor = null;
    scheduleRender();
  }
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && state.menuFor) {
    state.menuFor = null;
    scheduleRender();
  }
});
// Relative times ("2m ago") are re-worded twice a minute; no data is fetched for it.
setInterval(scheduleRender, 30_000);

render(view(), root);
post({ type: "ready" });
