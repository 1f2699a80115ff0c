/** Typed fixtures (checked against the generated wire types) and the contract's own examples. */

import * as fs from "node:fs";
import * as path from "node:path";
import type { Task, Template, TemplateParameter } from "../../src/protocol/generated";

export const EXAMPLES = path.resolve(__dirname, "..", "..", "..", "schemas", "examples", "taskyard");

/** A JSON example from `schemas/examples/taskyard/<area>/<method>/<kind>/<file>`. */
export function example<T>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, ...parts), "utf8")) as T;
}

export function examples<T>(...parts: string[]): T[] {
  const dir = path.join(EXAMPLES, ...parts);
  return fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => example<T>(...parts, f));
}

function param(p: Partial<TemplateParameter> & Pick<TemplateParameter, "name" | "type" | "formType">): TemplateParameter {
  return { displayName: p.name, description: "", required: false, options: [], mutable: false, ephemeral: false, order: 0, ...p };
}

/** A template with one parameter per form type, plus two presets. */
export const EVERY_WIDGET: Template = {
  name: "every",
  displayName: "Every widget",
  description: "All **nine** form types.",
  source: "workspace",
  agent: { type: "demo", extraArgs: [], mcpServers: [] },
  workspace: { provider: "local", repo: "none", env: [], resources: {} },
  parameters: [
    param({ name: "branch", type: "string", formType: "input", default: "main", order: 1, styling: { placeholder: "main" } }),
    param({ name: "token", type: "string", formType: "input", order: 2, required: true, styling: { maskInput: true } }),
    param({ name: "retries", type: "number", formType: "input", default: "2", order: 3, validation: { min: 0, max: 5 } }),
    param({ name: "notes", type: "string", formType: "textarea", default: "", order: 4 }),
    param({ name: "model", type: "string", formType: "dropdown", default: "small", order: 5,
      options: [{ name: "Small", value: "small" }, { name: "Large", value: "large", description: "Slower" }] }),
    param({ name: "speed", type: "number", formType: "radio", default: "1", order: 6,
      options: [{ name: "Slow", value: "1" }, { name: "Fast", value: "4" }] }),
    param({ name: "tests", type: "bool", formType: "checkbox", default: "true", order: 7 }),
    param({ name: "auto", type: "bool", formType: "switch", order: 8 }),
    param({ name: "cpus", type: "number", formType: "slider", default: "2", order: 9, validation: { min: 1, max: 8 } }),
    param({ name: "ratio", type: "number", formType: "slider", default: "0.5", order: 10, validation: { min: 0, max: 1.5 } }),
    param({ name: "tools", type: "list(string)", formType: "multi-select", default: '["git"]', order: 11,
      options: [{ name: "git", value: "git" }, { name: "gh", value: "gh" }] }),
    param({ name: "labels", type: "list(string)", formType: "tag-select", order: 0 }),
  ],
  presets: [
    { name: "fast", default: true, parameters: { speed: "4", model: "small" }, description: "Quick turns" },
    { name: "big", default: false, parameters: { model: "large", cpus: "6" } },
  ],
};

export function task(over: Partial<Task> = {}): Task {
  return {
    id: "t1",
    name: "fix-it-0001",
    displayName: "Fix it",
    template: "every",
    parameters: {},
    prompt: "fix it",
    status: "active",
    state: { state: "idle", message: "Done for now", timestamp: "2026-03-01T09:00:00.000Z", source: "hook" },
    workspace: { provider: "local", status: "running", path: "/tmp/w" },
    agentType: "demo",
    createdAt: "2026-03-01T09:00:00.000Z",
    updatedAt: "2026-03-01T09:00:00.000Z",
    actions: { send: true, interrupt: false, pause: true, resume: false, delete: true },
    ...over,
  };
}

/**
 * What the sidecar allows per status (`allowed_actions` in the sidecar): `send` is offered to
 * active tasks and to paused and failed ones, which `taskyard/tasks/send` resumes first.
 */
export function actionsFor(status: Task["status"], state?: NonNullable<Task["state"]>["state"]): Task["actions"] {
  return {
    // What the sidecar's lifecycle table answers for the usual case of each status.
    send: status !== "unknown",
    interrupt: status === "active" && (state === "working" || state === "needs_input"),
    pause: status === "active" || status === "error" || status === "unknown",
    resume: status === "paused" || status === "error",
    delete: true,
  };
}

export function pausedTask(over: Partial<Task> = {}): Task {
  return task({ status: "paused", workspace: { provider: "local", status: "stopped", path: "/tmp/w" }, actions: actionsFor("paused"), ...over });
}

export function erroredTask(over: Partial<Task> = {}): Task {
  return task({ status: "error", error: { kind: "agentFailure", message: "the bridge stopped" }, actions: actionsFor("error"), ...over });
}
