import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addTag,
  decodeList,
  defaultPreset,
  errorsByField,
  fieldFor,
  formFor,
  initialValues,
  parametersToSend,
  removeTag,
  sliderStep,
  switchPreset,
  widgetFor,
} from "../../src/core/form";
import type { ParameterFormType, Template } from "../../src/protocol/generated";
import { EVERY_WIDGET, example } from "./fixtures";

describe("form generation from TemplateParameter", () => {
  const table: [ParameterFormType, string, object | undefined, string][] = [
    ["input", "string", undefined, "text"],
    ["input", "string", { maskInput: true }, "password"],
    ["input", "number", undefined, "number"],
    ["textarea", "string", undefined, "textarea"],
    ["dropdown", "string", undefined, "select"],
    ["radio", "number", undefined, "radio"],
    ["checkbox", "bool", undefined, "checkbox"],
    ["switch", "bool", undefined, "switch"],
    ["slider", "number", undefined, "slider"],
    ["multi-select", "list(string)", undefined, "multiselect"],
    ["tag-select", "list(string)", undefined, "tags"],
  ];
  for (const [formType, type, styling, widget] of table) {
    test(`${formType} (${type}${styling ? ", masked" : ""}) renders as ${widget}`, () => {
      assert.equal(widgetFor({ formType, type: type as never, styling }), widget);
    });
  }

  test("every form type of the fixture gets a field, in `order`", () => {
    const fields = formFor(EVERY_WIDGET, null);
    assert.deepEqual(fields.map((f) => f.name), ["labels", "branch", "token", "retries", "notes", "model", "speed", "tests", "auto", "cpus", "ratio", "tools"]);
    const widgets = new Set(fields.map((f) => f.widget));
    for (const w of ["text", "password", "number", "textarea", "select", "radio", "checkbox", "switch", "slider", "multiselect", "tags"]) {
      assert.ok(widgets.has(w as never), w);
    }
  });

  test("fields carry labels, options, bounds, placeholders and required", () => {
    const byName = Object.fromEntries(formFor(EVERY_WIDGET, null).map((f) => [f.name, f]));
    assert.deepEqual(byName.model!.options, [{ label: "Small", value: "small" }, { label: "Large", value: "large", description: "Slower" }]);
    assert.equal(byName.cpus!.min, 1);
    assert.equal(byName.cpus!.max, 8);
    assert.equal(byName.cpus!.step, 1);
    assert.equal(byName.ratio!.step, 0.015);
    assert.equal(byName.retries!.max, 5);
    assert.equal(byName.retries!.step, undefined);
    assert.equal(byName.branch!.placeholder, "main");
    assert.equal(byName.token!.required, true);
    assert.equal(byName.token!.disabled, false);
  });

  test("a preset's values are fixed: the field is disabled and shows the preset value", () => {
    const fields = formFor(EVERY_WIDGET, "big");
    const model = fields.find((f) => f.name === "model")!;
    assert.equal(model.disabled, true);
    assert.equal(model.presetValue, "large");
    assert.equal(fields.find((f) => f.name === "branch")!.disabled, false);
    assert.equal(fieldFor({ ...EVERY_WIDGET.parameters[0]!, styling: { disabled: true } }).disabled, true);
  });

  test("slider steps", () => {
    assert.equal(sliderStep(1, 20), 1);
    assert.equal(sliderStep(0, 0.5), 0.005);
    assert.equal(sliderStep(undefined, 3), 1);
  });

  test("initial values: defaults, bool/list fallbacks, then the preset", () => {
    const v = initialValues(EVERY_WIDGET, "fast");
    assert.equal(v.branch, "main");
    assert.equal(v.token, "");
    assert.equal(v.auto, "false");
    assert.equal(v.labels, "[]");
    assert.equal(v.speed, "4");
    assert.equal(defaultPreset(EVERY_WIDGET), "fast");
  });

  test("switching presets keeps what the user typed into editable fields", () => {
    const typed = { ...initialValues(EVERY_WIDGET, "fast"), branch: "dev", speed: "4" };
    const next = switchPreset(EVERY_WIDGET, "fast", "big", typed);
    assert.equal(next.branch, "dev");
    assert.equal(next.model, "large");
    assert.equal(next.cpus, "6");
    assert.equal(next.speed, "1", "speed was the old preset's, not the user's");
  });

  test("values sent: what the preset does not fix, without empty optional ones", () => {
    const values = { ...initialValues(EVERY_WIDGET, "fast"), token: "" };
    const sent = parametersToSend(EVERY_WIDGET, "fast", values);
    assert.equal(sent.speed, undefined);
    assert.equal(sent.model, undefined);
    assert.equal(sent.notes, undefined, "empty optional textarea");
    assert.equal(sent.token, "", "required ones are sent even when empty, so the sidecar names them");
    assert.equal(sent.branch, "main");
  });

  test("list values travel as JSON arrays; tags add and remove", () => {
    assert.deepEqual(decodeList('["a","b"]'), ["a", "b"]);
    assert.deepEqual(decodeList("a, b"), ["a", "b"]);
    assert.deepEqual(decodeList(undefined), []);
    let v = addTag("[]", " x ");
    v = addTag(v, "x");
    v = addTag(v, "y");
    assert.equal(v, '["x","y"]');
    assert.equal(removeTag(v, "x"), '["y"]');
  });

  test("the sidecar's messages land on their fields; others are general", () => {
    const fields = formFor(EVERY_WIDGET, "fast");
    const { byField, general } = errorsByField([
      { parameter: "cpus", message: "Pick between 1 and 8" },
      { parameter: "speed", message: "fixed by the preset" },
      { parameter: "nope", message: "unknown" },
    ], fields);
    assert.deepEqual(byField, { cpus: "Pick between 1 and 8" });
    assert.deepEqual(general, ["speed: fixed by the preset", "nope: unknown"]);
  });

  test("the contract's template example generates a form", () => {
    const t = example<Template>("templates", "get", "result", "template.json");
    const fields = formFor(t, defaultPreset(t));
    assert.equal(fields.length, t.parameters.length);
    assert.ok(fields.every((f) => f.label.length > 0));
  });
});
