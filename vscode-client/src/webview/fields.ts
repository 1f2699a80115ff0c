/**
 * Renders one parameter field for each widget the form generator picks (core/form.ts), with
 * the sidecar's validation message under the field.
 */

import { html, nothing, type TemplateResult } from "lit";
import {
  type FieldSpec,
  addTag,
  decodeBool,
  decodeList,
  encodeBool,
  encodeList,
  removeTag,
} from "../core/form";
import { inlineMarkdown } from "./markdown";

type OnChange = (name: string, value: string) => void;

type ValueTarget = EventTarget & { value: string };
type CheckTarget = EventTarget & { checked: boolean };
type ListTarget = EventTarget & { value: string[] };

const val = (e: Event) => (e.target as ValueTarget).value;

export function renderField(f: FieldSpec, value: string, error: string | undefined, onChange: OnChange): TemplateResult {
  const invalid = Boolean(error);
  const id = `param-${f.name}`;
  const label = html`<label class="field-label" for=${id}>
    ${f.label}${f.required ? html`<span class="required" title="Required">*</span>` : nothing}
    ${f.presetValue !== undefined ? html`<span class="fixed" title="Set by the selected preset">preset</span>` : nothing}
  </label>`;
  return html`<div class="field ${invalid ? "has-error" : ""}" data-testid="field-${f.name}" data-widget=${f.widget}>
    ${f.widget === "checkbox" || f.widget === "switch" ? nothing : label}
    ${widget(f, id, value, invalid, onChange)}
    ${f.description ? html`<div class="field-help">${inlineMarkdown(f.description)}</div>` : nothing}
    ${error ? html`<div class="field-error" role="alert" data-testid="field-error-${f.name}"><span class="codicon codicon-error"></span>${error}</div>` : nothing}
  </div>`;
}

function widget(f: FieldSpec, id: string, value: string, invalid: boolean, onChange: OnChange): TemplateResult {
  const set = (v: string) => onChange(f.name, v);
  switch (f.widget) {
    case "text":
    case "password":
    case "number":
      return html`<vscode-textfield id=${id} type=${f.widget} .value=${value} ?invalid=${invalid}
        ?disabled=${f.disabled} placeholder=${f.placeholder ?? ""}
        min=${f.min ?? nothing} max=${f.max ?? nothing} @input=${(e: Event) => set(val(e))}></vscode-textfield>`;
    case "textarea":
      return html`<vscode-textarea id=${id} rows="3" .value=${value} ?invalid=${invalid} ?disabled=${f.disabled}
        placeholder=${f.placeholder ?? ""} @input=${(e: Event) => set(val(e))}></vscode-textarea>`;
    case "select":
      return html`<vscode-single-select id=${id} .value=${value} ?invalid=${invalid} ?disabled=${f.disabled}
        @change=${(e: Event) => set(val(e))}>
        ${f.options.map((o) => html`<vscode-option value=${o.value} description=${o.description ?? ""} ?selected=${o.value === value}>${o.label}</vscode-option>`)}
      </vscode-single-select>`;
    case "radio":
      return html`<vscode-radio-group id=${id} variant=${f.options.length > 3 ? "vertical" : "horizontal"}
        @change=${(e: Event) => set(val(e))}>
        ${f.options.map((o) => html`<vscode-radio name=${f.name} value=${o.value} label=${o.label} title=${o.description ?? ""}
          ?checked=${o.value === value} ?disabled=${f.disabled} ?invalid=${invalid}>${o.label}</vscode-radio>`)}
      </vscode-radio-group>`;
    case "checkbox":
    case "switch":
      return html`<vscode-checkbox id=${id} ?toggle=${f.widget === "switch"} .checked=${decodeBool(value)} ?disabled=${f.disabled}
        ?invalid=${invalid} label=${f.label} @change=${(e: Event) => set(encodeBool((e.target as CheckTarget).checked))}>${f.label}</vscode-checkbox>`;
    case "slider":
      return html`<div class="slider">
        <input id=${id} type="range" min=${f.min ?? 0} max=${f.max ?? 100} step=${f.step ?? 1}
          .value=${value} ?disabled=${f.disabled} aria-label=${f.label}
          @input=${(e: Event) => set((e.target as HTMLInputElement).value)}>
        <vscode-textfield class="slider-value" type="number" .value=${value} ?invalid=${invalid} ?disabled=${f.disabled}
          aria-label="${f.label} value" data-testid="slider-value-${f.name}" @input=${(e: Event) => set(val(e))}></vscode-textfield>
      </div>
      ${f.min !== undefined && f.max !== undefined ? html`<div class="slider-range"><span>${f.min}</span><span>${f.max}</span></div>` : nothing}`;
    case "multiselect":
      return html`<vscode-multi-select id=${id} .value=${decodeList(value)} ?invalid=${invalid} ?disabled=${f.disabled}
        @change=${(e: Event) => set(encodeList((e.target as ListTarget).value))}>
        ${f.options.map((o) => html`<vscode-option value=${o.value} description=${o.description ?? ""} ?selected=${decodeList(value).includes(o.value)}>${o.label}</vscode-option>`)}
      </vscode-multi-select>`;
    case "tags":
      return tags(f, id, value, invalid, set);
  }
}

function tags(f: FieldSpec, id: string, value: string, invalid: boolean, set: (v: string) => void): TemplateResult {
  const add = (input: ValueTarget) => {
    if (!input.value.trim()) return;
    set(addTag(value, input.value));
    input.value = "";
  };
  const suggestions = f.options.filter((o) => !decodeList(value).includes(o.value));
  return html`<div class="tags ${invalid ? "invalid" : ""}">
    ${decodeList(value).map((t) => html`<span class="tag">${t}<button class="tag-remove" title="Remove ${t}" aria-label="Remove ${t}"
      ?disabled=${f.disabled} @click=${() => set(removeTag(value, t))}><span class="codicon codicon-close"></span></button></span>`)}
    <vscode-textfield id=${id} class="tag-input" placeholder=${f.placeholder ?? "Add a tag and press Enter"} ?disabled=${f.disabled}
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === "Enter" || e.key === ",") {
          e.preventDefault();
          add(e.target as ValueTarget);
        }
      }}
      @change=${(e: Event) => add(e.target as ValueTarget)}></vscode-textfield>
    ${suggestions.length ? html`<div class="tag-suggestions">${suggestions.map((o) => html`<button class="tag-suggestion" title=${o.description ?? ""} ?disabled=${f.disabled} @click=${() => set(addTag(value, o.value))}>+ ${o.label}</button>`)}</div>` : nothing}
  </div>`;
}
