/**
 * `taskyard/server/info` → what the panel and the status bar say about where tasks run: the
 * notice when Docker is unavailable (with the sidecar's own words on how to fix it), the
 * provider a template's new task will get, and the tooltip lines. The sidecar decides; this
 * module only words it.
 */

import type { ProviderInfo, ServerInfo, TemplateProvider, WorkspaceProvider } from "../protocol/generated";

/** A non-blocking banner above the create form. */
export interface ProviderNotice {
  severity: "warning" | "error";
  title: string;
  /** The sidecar's `detail`: why Docker is unavailable and how to fix it. */
  detail: string;
}

/** Where a new task of a template will run, in words. */
export interface NewTaskProvider {
  provider: WorkspaceProvider;
  text: string;
  /** Set when that provider cannot take tasks now. */
  problem?: string;
}

const RUNS: Record<WorkspaceProvider, string> = {
  local: "tasks run as local processes",
  docker: "tasks run in Docker containers",
};

export function providerOf(info: ServerInfo, name: WorkspaceProvider): ProviderInfo | undefined {
  return info.providers.find((p) => p.name === name);
}

/** The Docker notice, or null when there is nothing to warn about. */
export function providerNotice(info: ServerInfo | null): ProviderNotice | null {
  const docker = info && providerOf(info, "docker");
  if (!info || !docker || docker.available) return null;
  if (info.defaultProvider === "docker") {
    return { severity: "error", title: "Docker is unavailable — new tasks fail until it is back", detail: docker.detail };
  }
  // The user chose local processes: Docker being away is not news.
  if (info.settings.defaultProvider === "local") return null;
  return { severity: "warning", title: "Docker is unavailable — tasks run as local processes", detail: docker.detail };
}

/**
 * The provider a new task from a template asking for `wanted` gets: `auto` follows the
 * sidecar's resolved default (the `taskyard.defaultProvider` setting and Docker's availability).
 */
export function newTaskProvider(info: ServerInfo | null, wanted: TemplateProvider | undefined): NewTaskProvider | null {
  if (!info) return null;
  const provider: WorkspaceProvider = !wanted || wanted === "auto" ? info.defaultProvider : wanted;
  const out: NewTaskProvider = { provider, text: provider === "docker" ? "Runs in a Docker container" : "Runs as a local process" };
  const p = providerOf(info, provider);
  if (p && !p.available) out.problem = `${provider === "docker" ? "Docker" : "The local provider"} is not available: ${p.detail}`;
  return out;
}

/** Lines for the status-bar tooltip. */
export function serverInfoLines(info: ServerInfo | null): string[] {
  if (!info) return [];
  const notice = providerNotice(info);
  const current = providerOf(info, info.defaultProvider);
  const lines = [notice
    ? `${notice.title}: ${notice.detail}`
    : `New ${RUNS[info.defaultProvider]}${current?.detail ? ` (${current.detail})` : ""}`];
  lines.push(`Sidecar ${info.version} · data in ${info.dataDir}`);
  return lines;
}
