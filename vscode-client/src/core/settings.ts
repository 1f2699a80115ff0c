/**
 * The extension's settings → the `SidecarSettings` the sidecar honours. Variables are expanded
 * here, not in the sidecar (docs/CONTRIBUTING.md, "Settings"); blank folders are dropped and an unknown provider
 * name falls back to `auto`, so a hand-edited settings.json never makes the sidecar reject the
 * whole object.
 */

import type { SidecarSettings, TemplateProvider } from "../protocol/generated";

/** What `${workspaceFolder}`, `${userHome}` and a leading `~` stand for. */
export interface Places {
  workspaceFolder: string;
  home: string;
}

const PROVIDERS: readonly TemplateProvider[] = ["auto", "local", "docker"];

export function expandVariables(value: string, places: Places): string {
  return value
    .replace(/\$\{workspaceFolder\}/g, places.workspaceFolder)
    .replace(/\$\{userHome\}/g, places.home)
    .replace(/^~(?=$|\/)/, places.home);
}

/** `taskyard.defaultProvider` as the contract spells it (`auto` for anything else). */
export function providerSetting(value: unknown): TemplateProvider {
  return PROVIDERS.includes(value as TemplateProvider) ? (value as TemplateProvider) : "auto";
}

/** `taskyard.templateFolders`: strings only, trimmed, expanded, blanks and repeats dropped. */
export function folderSetting(value: unknown, places: Places): string[] {
  if (!Array.isArray(value)) return [];
  const folders = value
    .filter((v): v is string => typeof v === "string")
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => expandVariables(v, places));
  return [...new Set(folders)];
}

/**
 * Exactly the contract's shape (camelCase, both keys present): sent as the `initialize`
 * request's `initializationOptions` and as `workspace/didChangeConfiguration`'s
 * `settings.taskyard`.
 */
export function toSidecarSettings(s: { templateFolders: string[]; defaultProvider: TemplateProvider }): Required<SidecarSettings> {
  return { templateFolders: [...s.templateFolders], defaultProvider: s.defaultProvider };
}

/** The `workspace/didChangeConfiguration` params that carry them (`settings.taskyard`). */
export function configurationChange(s: Required<SidecarSettings>): { settings: { taskyard: Required<SidecarSettings> } } {
  return { settings: { taskyard: s } };
}

export function sameSidecarSettings(a: SidecarSettings | undefined, b: SidecarSettings): boolean {
  return a !== undefined && JSON.stringify(toSidecarSettings({ templateFolders: a.templateFolders ?? [], defaultProvider: a.defaultProvider ?? "auto" }))
    === JSON.stringify(toSidecarSettings({ templateFolders: b.templateFolders ?? [], defaultProvider: b.defaultProvider ?? "auto" }));
}
