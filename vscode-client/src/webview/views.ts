/**
 * The sidebar's views as lit templates: the sidecar's failure and starting states, the create
 * form, the task list and the task detail. They read `state` and call the actions; nothing here
 * talks to the extension directly except through `bridge`.
 */

import { html, nothing, type TemplateResult } from "lit";
import { formFor } from "../core/form";
import { KINDS, clockTime, composerModel, displayKind, errorHint, relativeTime, subtitle } from "../core/presentation";
import { newTaskProvider, providerNotice } from "../core/serverInfo";
import type { LogLine, Task, TaskMessage, Template } from "../protocol/generated";
import type { SidecarView, TaskActionName } from "../protocol/webview";
import { action, command } from "./bridge";
import { renderField } from "./fields";
import { inlineMarkdown, markdown, prosedown } from "./markdown";
import {
  chooseTemplate,
  choosePreset,
  createTask,
  currentTemplate,
  persist,
  quick,
  scheduleRender,
  select,
  sendMessage,
  setValue,
  state,
  store,
  templates,
  toggleScreen,
  validateSoon,
} from "./state";

function dot(task: Task): TemplateResult {
  const kind = displayKind(task);
  return html`<span class="dot dot-${kind}" role="img" aria-label=${KINDS[kind].label} title=${KINDS[kind].label}></span>`;
}

interface MenuItem {
  label: string;
  value: string;
  separator?: boolean;
}

function menuItems(task: Task, inList: boolean): MenuItem[] {
  const items: MenuItem[] = [];
  if (inList) items.push({ label: "Open", value: "open" });
  if (task.actions.resume) items.push({ label: "Resume", value: "resume" });
  if (task.actions.pause) items.push({ label: "Pause", value: "pause" });
  if (task.actions.interrupt) items.push({ label: "Interrupt", value: "interrupt" });
  if (task.status === "active") items.push({ label: "Attach Terminal", value: "attachTerminal" });
  if (task.workspace.path) items.push({ label: "Open Workspace Folder", value: "openFolder" });
  items.push({ label: "Download Logs…", value: "downloadLogs" });
  if (task.status !== "pending") {
    items.push(
      { label: "", value: "", separator: true },
      { label: "Show Changes", value: "showChanges" },
      { label: "Save Changes as Patch…", value: "savePatch" },
      { label: "Export as Branch…", value: "exportBranch" },
    );
  }
  if (task.actions.delete) items.push({ label: "", value: "", separator: true }, { label: "Delete…", value: "delete" });
  return items;
}

function menu(task: Task, inList: boolean): TemplateResult {
  const open = state.menuFor === task.id;
  return html`<div class="menu-anchor" @click=${(e: Event) => e.stopPropagation()}>
    <vscode-toolbar-button icon="kebab-vertical" label="Actions" title="Actions" data-testid="task-menu"
      @click=${() => { state.menuFor = open ? null : task.id; scheduleRender(); }}></vscode-toolbar-button>
    ${open ? html`<vscode-context-menu class="menu" show .data=${menuItems(task, inList)}
      @vsc-context-menu-select=${(e: CustomEvent<{ value: string }>) => onMenu(task, e.detail.value)}></vscode-context-menu>` : nothing}
  </div>`;
}

function onMenu(task: Task, value: string): void {
  state.menuFor = null;
  if (value === "open") select(task.id);
  else if (value === "pause") void quick(task, "tasksPause", "Pausing…");
  else if (value === "resume") void quick(task, "tasksResume", "Resuming…");
  else if (value === "interrupt") void quick(task, "tasksInterrupt", "Interrupting…");
  else if (value) action(value as TaskActionName, task.id);
  scheduleRender();
}

function viewSidecar(s: SidecarView): TemplateResult {
  if (s.state === "failed") {
    return html`<section class="state state-failed" data-testid="sidecar-failed">
      <div class="state-icon"><span class="codicon codicon-error"></span></div>
      <h2>Taskyard cannot start</h2>
      <p class="state-message" data-testid="sidecar-message">${s.message}</p>
      ${s.detail ? html`<pre class="state-detail">${s.detail}</pre>` : nothing}
      ${s.fix ? html`<p class="state-fix"><strong>Fix:</strong> ${inlineMarkdown(s.fix)}</p>` : nothing}
      ${s.fixCommand ? html`<div class="fix-command"><code data-testid="fix-command">${s.fixCommand}</code>
        <vscode-toolbar-button icon="copy" label="Copy" title="Copy" @click=${() => command("copyFixCommand")}></vscode-toolbar-button></div>` : nothing}
      <div class="state-actions">
        <vscode-button icon="debug-restart" data-testid="restart-sidecar" @click=${() => command("restartSidecar")}>Restart Sidecar</vscode-button>
        <vscode-button secondary icon="settings-gear" @click=${() => command("openSettings")}>Open Settings</vscode-button>
        <vscode-button secondary icon="output" @click=${() => command("showOutput")}>Show Output</vscode-button>
      </div>
    </section>`;
  }
  if (s.state === "stopped") {
    return html`<section class="state" data-testid="sidecar-stopped">
      <div class="state-icon"><span class="codicon codicon-debug-stop"></span></div>
      <h2>The sidecar is stopped</h2>
      <p class="state-message">Taskyard's tasks keep running; start the sidecar to see and drive them.</p>
      <div class="state-actions"><vscode-button icon="play" @click=${() => command("restartSidecar")}>Start Sidecar</vscode-button></div>
    </section>`;
  }
  return html`<section class="state" data-testid="sidecar-starting">
    <vscode-progress-ring></vscode-progress-ring>
    <p class="state-message">${s.message ?? "Starting the Taskyard sidecar…"}</p>
  </section>`;
}

/** Docker's absence (or another provider problem), above the create form; never blocking. */
function viewProviderNotice(): TemplateResult | typeof nothing {
  const notice = providerNotice(state.serverInfo);
  if (!notice) return nothing;
  const key = `${notice.title}\n${notice.detail}`;
  if (state.dismissedNotice === key) return nothing;
  const error = notice.severity === "error";
  const detail = notice.detail.charAt(0).toUpperCase() + notice.detail.slice(1);
  return html`<div class="banner ${error ? "banner-error" : "banner-attention"} notice" role="status" data-testid="provider-notice">
    <span class="codicon codicon-${error ? "error" : "warning"}"></span>
    <div class="banner-text"><strong data-testid="provider-notice-title">${notice.title}.</strong> <span class="notice-detail">${detail}</span></div>
    <vscode-toolbar-button icon="close" label="Dismiss" title="Dismiss" data-testid="dismiss-notice"
      @click=${() => { state.dismissedNotice = key; scheduleRender(); }}></vscode-toolbar-button>
  </div>`;
}

/** Where the template's new task will run, beside the Create button. */
function viewRunsOn(t: Template): TemplateResult | typeof nothing {
  const where = newTaskProvider(state.serverInfo, t.workspace.provider);
  if (!where) return nothing;
  const why = t.workspace.provider === "auto"
    ? `The template leaves it to the taskyard.defaultProvider setting (${state.serverInfo?.settings.defaultProvider ?? "auto"}).`
    : `The template asks for ${t.workspace.provider}.`;
  return html`<span class="runs-on ${where.problem ? "runs-on-problem" : ""}" data-testid="runs-on" data-provider=${where.provider}
    title=${where.problem ? `${where.problem}\n${why}` : why}>
    <span class="codicon codicon-${where.problem ? "warning" : where.provider === "docker" ? "vm" : "server-process"}"></span> ${where.text}</span>`;
}

function viewCreate(): TemplateResult {
  const list = templates();
  const f = state.form;
  if (!list.length) {
    const problems = store.catalog?.diagnostics ?? [];
    return html`<section class="empty" data-testid="no-templates">
      <span class="codicon codicon-symbol-file"></span>
      <h3>No task templates found</h3>
      <p>Add a template file (<code>*.toml</code>) to your workspace's <code>.taskyard/templates</code> folder, or to a folder listed in the <code>taskyard.templateFolders</code> setting.</p>
      ${problems.length ? html`<ul class="diagnostics">${problems.map((d) => html`<li><span class="codicon codicon-${d.severity}"></span> ${d.path}${d.line ? `:${d.line}` : ""}: ${d.message}</li>`)}</ul>` : nothing}
      <vscode-button secondary icon="folder-opened" @click=${() => command("openTemplateFolder")}>Open Template Folder</vscode-button>
    </section>`;
  }
  const t = currentTemplate() ?? list[0]!;
  const fields = formFor(t, f.preset);
  const preset = t.presets.find((p) => p.name === f.preset);
  return html`<form class="create" data-testid="create-form" @submit=${(e: Event) => { e.preventDefault(); void createTask(); }}>
    <vscode-textarea class="prompt" data-testid="prompt" rows="3" resize="vertical" .value=${f.prompt}
      placeholder="What should the agent do? (Ctrl+Enter to create)" aria-label="Prompt"
      @input=${(e: Event) => { f.prompt = (e.target as HTMLTextAreaElement).value; f.createError = ""; persist(); scheduleRender(); }}
      @keydown=${(e: KeyboardEvent) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void createTask(); } }}></vscode-textarea>
    <div class="row2">
      <div class="field">
        <label class="field-label" for="template">Template</label>
        <vscode-single-select id="template" data-testid="template" .value=${t.name}
          @change=${(e: Event) => { chooseTemplate((e.target as HTMLSelectElement).value); scheduleRender(); validateSoon(); }}>
          ${list.map((x) => html`<vscode-option value=${x.name} description=${x.description.replace(/[*_`]/g, "").trim()} ?selected=${x.name === t.name}>${x.displayName}</vscode-option>`)}
        </vscode-single-select>
      </div>
      ${t.presets.length ? html`<div class="field">
        <label class="field-label" for="preset">Preset</label>
        <vscode-single-select id="preset" data-testid="preset" .value=${f.preset ?? ""}
          @change=${(e: Event) => { choosePreset((e.target as HTMLSelectElement).value || null); scheduleRender(); }}>
          <vscode-option value="" ?selected=${f.preset === null}>None</vscode-option>
          ${t.presets.map((p) => html`<vscode-option value=${p.name} description=${p.description ?? ""} ?selected=${p.name === f.preset}>${p.name}${p.default ? " (Default)" : ""}</vscode-option>`)}
        </vscode-single-select>
      </div>` : nothing}
    </div>
    <div class="template-about">${prosedown(t.description)}${preset?.description ? html`<p class="preset-about"><span class="codicon codicon-symbol-constant"></span> ${preset.description}</p>` : nothing}</div>
    ${fields.length ? html`<fieldset class="params" data-testid="parameters">
      <legend>Parameters</legend>
      ${fields.map((field) => renderField(field, f.values[field.name] ?? "", f.errors[field.name], setValue))}
    </fieldset>` : nothing}
    ${f.general.length ? html`<div class="form-error" role="alert">${f.general.map((g) => html`<div>${g}</div>`)}</div>` : nothing}
    ${f.createError ? html`<div class="form-error" role="alert" data-testid="create-error"><span class="codicon codicon-error"></span> ${f.createError}</div>` : nothing}
    <div class="create-actions">
      ${viewRunsOn(t)}
      <vscode-button data-testid="create" icon=${f.creating ? "loading" : "add"} ?icon-spin=${f.creating} ?disabled=${f.creating}
        @click=${() => void createTask()}>${f.creating ? "Creating…" : "Create Task"}</vscode-button>
    </div>
  </form>`;
}

function viewTaskRow(task: Task): TemplateResult {
  const kind = displayKind(task);
  const pending = state.pending.get(task.id);
  // Right-click: VS Code's own context menu with the commands (package.json "webview/context").
  const context = JSON.stringify({ webviewSection: "task", taskId: task.id, preventDefaultContextMenuItems: true });
  return html`<li class="task-row kind-${kind}" data-testid="task-row" data-task-id=${task.id} data-kind=${kind} tabindex="0"
    data-vscode-context=${context} @click=${() => select(task.id)} @keydown=${(e: KeyboardEvent) => { if (e.key === "Enter") select(task.id); }}>
    ${dot(task)}
    <div class="task-main">
      <div class="task-title-row">
        <span class="task-title" title=${task.prompt}>${task.displayName}</span>
        <span class="task-time" title=${new Date(task.updatedAt).toLocaleString()}>${relativeTime(task.updatedAt)}</span>
      </div>
      <div class="task-sub" title=${subtitle(task)}>
        ${kind === "needs_input" ? html`<span class="pill pill-attention">Needs input</span>` : nothing}
        ${pending ? html`<span class="codicon codicon-loading codicon-modifier-spin"></span> ${pending}` : html`<span class="task-sub-text">${subtitle(task)}</span>`}
      </div>
    </div>
    ${menu(task, true)}
  </li>`;
}

function viewList(): TemplateResult {
  const tasks = store.list();
  return html`
    ${viewProviderNotice()}
    <vscode-collapsible class="section" heading="New Task" ?open=${state.form.open} data-testid="create-section"
      @vsc-collapsible-toggle=${(e: CustomEvent<{ open: boolean }>) => { state.form.open = e.detail.open; persist(); }}>
      <div class="section-body">${viewCreate()}</div>
    </vscode-collapsible>
    <section class="tasks">
      <h3 class="tasks-heading">Tasks ${tasks.length ? html`<span class="count">${tasks.length}</span>` : nothing}</h3>
      ${tasks.length
        ? html`<ul class="task-list" data-testid="task-list">${tasks.map(viewTaskRow)}</ul>`
        : html`<div class="empty small" data-testid="no-tasks"><span class="codicon codicon-rocket"></span>
            <p>No tasks yet. Describe one above and press <strong>Create Task</strong>; its agent works in the background while you keep coding.</p></div>`}
    </section>`;
}

function viewLogs(lines: LogLine[]): TemplateResult {
  return html`<div class="log" data-testid="startup-log">${lines.length
    ? lines.map((l) => html`<div class="log-line log-${l.stream}"><span class="log-time">${l.time.slice(11, 19)}</span> <span class="log-text">${l.text}</span></div>`)
    : html`<div class="log-line muted">Waiting for the workspace…</div>`}</div>`;
}

function viewMessage(task: Task, m: TaskMessage): TemplateResult {
  if (m.role === "agent" && m.id === 0) {
    return html`<div class="msg msg-start" data-testid="msg-start"><span class="codicon codicon-terminal"></span><span>${m.content.trim() || "Agent started"}</span></div>`;
  }
  if (m.role === "user") {
    return html`<div class="msg msg-user" data-testid="msg-user">
      <div class="msg-head"><span class="codicon codicon-account"></span> You <span class="msg-time">${clockTime(m.time)}</span></div>
      <div class="msg-body">${m.content}</div>
    </div>`;
  }
  return html`<div class="msg msg-agent" data-testid="msg-agent">
    <div class="msg-head"><span class="codicon codicon-hubot"></span> ${agentName(task)} <span class="msg-time">${clockTime(m.time)}</span></div>
    <div class="msg-body markdown">${markdown(m.content)}</div>
  </div>`;
}

function agentName(task: Task): string {
  const t = templates().find((x) => x.name === task.template);
  return t ? t.displayName : task.agentType;
}

function viewDetail(task: Task): TemplateResult {
  const kind = displayKind(task);
  const conv = store.conversations.get(task.id);
  const logs = store.logs.get(task.id) ?? [];
  const pending = state.pending.get(task.id);
  const draft = state.composer.drafts[task.id] ?? "";
  const input = composerModel(task, { sending: state.composer.sending, draft });
  const starting = kind === "starting";
  const screen = state.screens.get(task.id);
  const messages = conv?.messages ?? [];
  const hint = errorHint(task);
  return html`<div class="detail" data-testid="detail" data-kind=${kind}>
    <header class="detail-head">
      <vscode-toolbar-button icon="arrow-left" label="Back to tasks" title="Back to tasks" data-testid="back" @click=${() => select(null)}></vscode-toolbar-button>
      <div class="detail-title" title=${task.prompt}>${task.displayName}</div>
      <vscode-toolbar-button icon="terminal" label="Show the terminal screen" title="Show the agent's terminal screen" toggleable
        ?checked=${state.screenOn} ?disabled=${task.status !== "active"} data-testid="toggle-screen" @click=${() => toggleScreen(task)}></vscode-toolbar-button>
      <vscode-toolbar-button icon="diff" label="Changes" title="Show the task's changes" ?disabled=${task.status === "pending"}
        data-testid="show-changes" @click=${() => action("showChanges", task.id)}></vscode-toolbar-button>
      ${menu(task, false)}
    </header>
    <div class="detail-meta">
      ${dot(task)}<span class="pill pill-${kind}" data-testid="detail-status">${KINDS[kind].label}</span>
      <span class="meta-text" title=${task.name}>${agentName(task)}${task.preset ? ` · ${task.preset}` : ""} · ${relativeTime(task.createdAt)} · ${task.name}</span>
    </div>
    ${pending ? html`<div class="banner banner-info" data-testid="pending-banner"><vscode-progress-ring class="tiny"></vscode-progress-ring> ${pending}</div>` : nothing}
    ${kind === "paused" ? html`<div class="banner banner-paused" data-testid="paused-banner">
      <span class="codicon codicon-debug-pause"></span>
      <div class="banner-text"><strong>Paused</strong> · ${conv?.snapshotAt ? html`snapshot from <time data-testid="snapshot-time" datetime=${conv.snapshotAt} title=${new Date(conv.snapshotAt).toLocaleString()}>${clockTime(conv.snapshotAt)}</time>` : "conversation saved at pause"}. The workspace is stopped; its files are kept.</div>
      <vscode-button data-testid="resume" icon="debug-start" @click=${() => void quick(task, "tasksResume", "Resuming…")}>Resume</vscode-button>
    </div>` : nothing}
    ${kind === "error" ? html`<div class="banner banner-error" data-testid="error-banner">
      <span class="codicon codicon-error"></span>
      <div class="banner-text">${hint ? html`<strong>${hint.title}.</strong> ${task.error?.message} <div class="hint">${hint.fix}</div>` : html`<strong>Error.</strong> ${task.error?.message ?? "The task failed."}`}</div>
      ${task.actions.resume ? html`<vscode-button secondary icon="debug-restart" @click=${() => void quick(task, "tasksResume", "Resuming…")}>Retry</vscode-button>` : nothing}
    </div>` : nothing}
    ${state.screenOn ? html`<div class="screen-wrap" data-testid="screen">
      ${screen?.error ? html`<div class="muted">${screen.error}</div>` : nothing}
      <pre class="screen">${screen?.screen?.screen.replace(/\s+$/, "") ?? "Loading the screen…"}</pre></div>` : nothing}
    <div class="detail-body">
    ${starting ? html`<section class="starting" data-testid="starting">
      <div class="starting-head"><vscode-progress-ring class="tiny"></vscode-progress-ring> ${subtitle(task)}</div>
      ${viewLogs(logs)}
    </section>` : html`
    <section class="chat" data-testid="chat" aria-live="polite">
      ${messages.length ? messages.map((m) => viewMessage(task, m)) : html`<div class="muted">No messages yet.</div>`}
      ${kind === "working" ? html`<div class="thinking" data-testid="thinking"><vscode-progress-ring class="tiny"></vscode-progress-ring> ${task.state?.message || "Working…"}</div>` : nothing}
      ${kind === "needs_input" ? html`<div class="banner banner-attention" data-testid="needs-input"><span class="codicon codicon-bell-dot"></span><div class="banner-text"><strong>The agent asks for input.</strong> ${task.state?.message ?? ""}</div></div>` : nothing}
    </section>
    <details class="logs" ?open=${state.logsOpen || kind === "error"} @toggle=${(e: Event) => (state.logsOpen = (e.target as HTMLDetailsElement).open)}>
      <summary>Start-up log <span class="count">${logs.length}</span></summary>
      ${viewLogs(logs)}
    </details>`}
    </div>
    <footer class="composer" data-testid="composer">
      ${state.composer.error ? html`<div class="form-error" role="alert" data-testid="send-error"><span class="codicon codicon-error"></span> ${state.composer.error}</div>` : nothing}
      ${state.composer.note ? html`<div class="composer-note" data-testid="send-note">${state.composer.note}</div>` : nothing}
      <vscode-textarea data-testid="message" rows="2" resize="vertical" .value=${draft} placeholder=${input.placeholder}
        ?disabled=${input.boxDisabled} aria-label="Message to the agent"
        @input=${(e: Event) => { state.composer.drafts[task.id] = (e.target as HTMLTextAreaElement).value; persist(); scheduleRender(); }}
        @keydown=${(e: KeyboardEvent) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); void sendMessage(task); } }}></vscode-textarea>
      <div class="composer-actions">
        ${task.actions.resume && kind !== "paused" && kind !== "error" ? html`<vscode-button secondary data-testid="resume" title="Start the task's workspace again" @click=${() => void quick(task, "tasksResume", "Resuming…")}>Resume</vscode-button>` : nothing}
        ${task.actions.pause ? html`<vscode-button secondary data-testid="pause" title="Stop the workspace, keeping its files and a snapshot of the conversation" ?disabled=${Boolean(pending)} @click=${() => void quick(task, "tasksPause", "Pausing…")}>Pause</vscode-button>` : nothing}
        <vscode-button secondary data-testid="interrupt" ?disabled=${!task.actions.interrupt} title="Interrupt the agent's current turn (like Escape)"
          @click=${() => void quick(task, "tasksInterrupt", "Interrupting…")}>Interrupt</vscode-button>
        <vscode-button class="send" data-testid="send" icon=${state.composer.sending ? "loading" : input.queue ? "list-ordered" : "send"} ?icon-spin=${state.composer.sending}
          ?disabled=${input.sendDisabled} title=${input.resumeFirst ? "Resume the task, then send the message" : nothing}
          @click=${() => void sendMessage(task)}>${input.sendLabel}</vscode-button>
      </div>
    </footer>
  </div>`;
}

export function view(): TemplateResult {
  if (!state.initialized) return html`<section class="state"><vscode-progress-ring></vscode-progress-ring></section>`;
  if (state.sidecar.state !== "running") return viewSidecar(state.sidecar);
  const task = state.selected ? store.get(state.selected) : undefined;
  return task ? viewDetail(task) : viewList();
}
