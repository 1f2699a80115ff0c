/**
 * Markdown for agent messages and template descriptions. Raw HTML is escaped (`html: false`),
 * so the output is safe to insert; links open through VS Code.
 */

import MarkdownIt from "markdown-it";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import type { DirectiveResult } from "lit/directive.js";

// Agent replies come from a terminal: their line breaks are meant. File names such as
// "notes.md" are not links, so only explicit URLs are linkified.
const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
// Template and parameter descriptions are authored Markdown, wrapped in their files.
const prose = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });
prose.linkify.set({ fuzzyLink: false, fuzzyEmail: false });

const cache = new Map<string, string>();

export function renderMarkdown(text: string): string {
  let html = cache.get(text);
  if (html === undefined) {
    html = md.render(text);
    if (cache.size > 500) cache.clear();
    cache.set(text, html);
  }
  return html;
}

export function markdown(text: string): DirectiveResult {
  return unsafeHTML(renderMarkdown(text));
}

/** Authored Markdown (template and parameter descriptions): newlines are soft. */
export function prosedown(text: string): DirectiveResult {
  return unsafeHTML(prose.render(text));
}

export function inlineMarkdown(text: string): DirectiveResult {
  return unsafeHTML(prose.renderInline(text));
}
