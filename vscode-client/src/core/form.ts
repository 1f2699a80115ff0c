/**
 * The create form, generated from a template: one field per `TemplateParameter`, with the widget
 * its `formType` asks for, the values a preset fixes, and the sidecar's validation messages.
 *
 * Values always travel as strings (the contract's rule); `list(string)` values are JSON arrays.
 */

import type {
  ParameterError,
  ParameterOption,
  Preset,
  Template,
  TemplateParameter,
} from "../protocol/generated";

/** The widget a field renders as (a `formType` refined by the parameter's type and styling). */
export type Widget =
  | "text"
  | "number"
  | "password"
  | "textarea"
  | "select"
  | "radio"
  | "checkbox"
  | "switch"
  | "slider"
  | "multiselect"
  | "tags";

export interface FieldOption {
  label: string;
  value: string;
  description?: string;
}

export interface FieldSpec {
  name: string;
  label: string;
  /** Markdown help text. */
  description: string;
  widget: Widget;
  required: boolean;
  options: FieldOption[];
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
  /** Read-only: the template says so, or the selected preset fixes the value. */
  disabled: boolean;
  /** The selected preset fixes the value. */
  presetValue?: string;
  icon?: string;
}

function option(o: ParameterOption): FieldOption {
  return o.description ? { label: o.name, value: o.value, description: o.description } : { label: o.name, value: o.value };
}

export function widgetFor(p: Pick<TemplateParameter, "formType" | "type" | "styling">): Widget {
  switch (p.formType) {
    case "input":
      if (p.type === "number") return "number";
      return p.styling?.maskInput ? "password" : "text";
    case "textarea":
      return "textarea";
    case "dropdown":
      return "select";
    case "radio":
      return "radio";
    case "checkbox":
      return "checkbox";
    case "switch":
      return "switch";
    case "slider":
      return "slider";
    case "multi-select":
      return "multiselect";
    case "tag-select":
      return "tags";
  }
}

/** A slider's step: whole numbers when both bounds are whole, else a hundredth of the range. */
export function sliderStep(min: number | undefined, max: number | undefined): number {
  if (min === undefined || max === undefined) return 1;
  if (Number.isInteger(min) && Number.isInteger(max)) return 1;
  return (max - min) / 100;
}

export function fieldFor(p: TemplateParameter, preset?: Preset | null): FieldSpec {
  const widget = widgetFor(p);
  const presetValue = preset?.parameters[p.name];
  const spec: FieldSpec = {
    name: p.name,
    label: p.displayName || p.name,
    description: p.description,
    widget,
    required: p.required,
    options: p.options.map(option),
    disabled: Boolean(p.styling?.disabled) || presetValue !== undefined,
  };
  if (presetValue !== undefined) spec.presetValue = presetValue;
  if (p.styling?.placeholder) spec.placeholder = p.styling.placeholder;
  if (p.icon) spec.icon = p.icon;
  if (p.type === "number") {
    if (p.validation?.min !== undefined) spec.min = p.validation.min;
    if (p.validation?.max !== undefined) spec.max = p.validation.max;
    if (widget === "slider") spec.step = sliderStep(spec.min, spec.max);
  }
  return spec;
}

/** The template's parameters in form order (by `order`, ties by name). */
export function orderedParameters(t: Template): TemplateParameter[] {
  return [...t.parameters].sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

export function findPreset(t: Template, name: string | null | undefined): Preset | null {
  if (!name) return null;
  return t.presets.find((p) => p.name === name) ?? null;
}

/** The preset the form selects first: the template's default one, if any. */
export function defaultPreset(t: Template): string | null {
  return t.presets.find((p) => p.default)?.name ?? null;
}

export function formFor(t: Template, presetName: string | null): FieldSpec[] {
  const preset = findPreset(t, presetName);
  return orderedParameters(t).map((p) => fieldFor(p, preset));
}

/** What the form shows first: defaults, then the preset's values. */
export function initialValues(t: Template, presetName: string | null): Record<string, string> {
  const values: Record<string, string> = {};
  for (const p of t.parameters) {
    if (p.default !== undefined) values[p.name] = p.default;
    else if (p.type === "bool") values[p.name] = "false";
    else if (p.type === "list(string)") values[p.name] = "[]";
    else values[p.name] = "";
  }
  Object.assign(values, findPreset(t, presetName)?.parameters ?? {});
  return values;
}

/**
 * The form's values after the preset changed: the new preset's values replace the fixed ones,
 * and what the user typed into fields that stay editable is kept.
 */
export function switchPreset(
  t: Template,
  from: string | null,
  to: string | null,
  values: Record<string, string>,
): Record<string, string> {
  const before = initialValues(t, from);
  const next = initialValues(t, to);
  const fixed = findPreset(t, to)?.parameters ?? {};
  for (const [name, value] of Object.entries(values)) {
    if (!(name in fixed) && value !== before[name]) next[name] = value;
  }
  return next;
}

/**
 * The values to send with `create`/`validate`: everything the preset does not fix (the sidecar
 * applies the preset itself), leaving out empty optional values so defaults apply.
 */
export function parametersToSend(
  t: Template,
  presetName: string | null,
  values: Record<string, string>,
): Record<string, string> {
  const fixed = findPreset(t, presetName)?.parameters ?? {};
  const out: Record<string, string> = {};
  for (const p of t.parameters) {
    if (p.name in fixed) continue;
    const v = values[p.name];
    if (v === undefined) continue;
    if (v === "" && !p.required) continue;
    out[p.name] = v;
  }
  return out;
}

export function decodeList(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // a hand-written default such as "a, b" is read as a comma list
  }
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}

export function encodeList(values: readonly string[]): string {
  return JSON.stringify(values);
}

export function encodeBool(on: boolean): string {
  return on ? "true" : "false";
}

export function decodeBool(value: string | undefined): boolean {
  return value === "true";
}

/**
 * Adds a tag to a tag-select value (trimmed, no duplicates, empty ignored).
 */
export function addTag(value: string, tag: string): string {
  const tags = decodeList(value);
  const t = tag.trim();
  if (!t || tags.includes(t)) return encodeList(tags);
  return encodeList([...tags, t]);
}

export function removeTag(value: string, tag: string): string {
  return encodeList(decodeList(value).filter((t) => t !== tag));
}

/**
 * The sidecar's rejections by field; messages for names the form does not show (a preset's
 * fixed value, an unknown name) go to `general`.
 */
export function errorsByField(
  errors: readonly ParameterError[],
  fields: readonly Pick<FieldSpec, "name" | "disabled">[],
): { byField: Record<string, string>; general: string[] } {
  const shown = new Set(fields.filter((f) => !f.disabled).map((f) => f.name));
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const e of errors) {
    if (shown.has(e.parameter) && !(e.parameter in byField)) byField[e.parameter] = e.message;
    else general.push(`${e.parameter}: ${e.message}`);
  }
  return { byField, general };
}
