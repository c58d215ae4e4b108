// Command catalogs of control-device models (SimPal D210 / D410 GSM sockets, from the vendor
// manuals): loading, stable command ids, typed parameter validation and rendering to SMS text.
import { z } from 'zod';
import { renderTemplate } from '../core/template.js';
import namesEn from './models/names-en.json' with { type: 'json' };
import d210 from './models/simpal-d210.json' with { type: 'json' };
import d410 from './models/simpal-d410.json' with { type: 'json' };
import { type Refusal, refuse } from '../model/issue.js';

const paramSpec = z.object({
  type: z.enum(['string', 'integer', 'number']),
  title: z.string().default(''),
  pattern: z.string().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
});

const catalogFile = z.object({
  model: z.string(),
  vendor: z.string(),
  kind: z.string(),
  commands: z.array(
    z.object({
      category: z.string(),
      name_ru: z.string(),
      template: z.string(),
      params: z.record(z.string(), paramSpec),
      required: z.array(z.string()),
    }),
  ),
});

export type ParamSpec = z.infer<typeof paramSpec>;

export interface CatalogCommand {
  /** Stable id derived from the template: `#12#0#{minutes}#1#` -> `12_0_minutes_1`. */
  id: string;
  category: string;
  name_ru: string;
  /** English name (hub/catalog/models/names-en.json); the Russian one when missing. */
  name_en: string;
  template: string;
  params: Record<string, ParamSpec>;
  required: string[];
}

export interface Catalog {
  model: string;
  vendor: string;
  kind: string;
  commands: CatalogCommand[];
}

export const GENERIC_MODEL = 'generic';

export function commandId(template: string): string {
  return template.replace(/[{}]/g, '').split('#').filter(Boolean).join('_') || 'empty';
}

export function parseCatalog(json: unknown, english: Readonly<Record<string, string>> = {}): Catalog {
  const file = catalogFile.parse(json);
  const commands = file.commands.map((c) => {
    const id = commandId(c.template);
    return { ...c, id, name_en: english[id] ?? c.name_ru };
  });
  const seen = new Set<string>();
  for (const c of commands) {
    if (seen.has(c.id)) throw new Error(`catalog ${file.model}: duplicate command id ${c.id}`);
    seen.add(c.id);
  }
  return { model: file.model, vendor: file.vendor, kind: file.kind, commands };
}

/** Load the catalogs shipped in hub/catalog/models/ (JSON imports, so bundles carry them). */
export function loadCatalogs(): Map<string, Catalog> {
  const out = new Map<string, Catalog>();
  const english = namesEn as Record<string, Record<string, string>>;
  for (const raw of [d210, d410] as Array<{ model: string }>) {
    const c = parseCatalog(raw, english[raw.model] ?? {});
    out.set(c.model, c);
  }
  return out;
}

export type RenderResult = { ok: true; text: string } | Refusal;

/** Validate parameters against the command's types and render its SMS text. */
export function renderCommand(cmd: CatalogCommand, params: Readonly<Record<string, string | number>>): RenderResult {
  for (const name of Object.keys(params)) {
    if (!(name in cmd.params)) return refuse(`params.${name}`, 'unknown_param', `unknown parameter of command ${cmd.id}`, { command: cmd.id });
  }
  const values: Record<string, string | number> = {};
  for (const [name, spec] of Object.entries(cmd.params)) {
    const raw = params[name];
    const field = `params.${name}`;
    if (raw === undefined || raw === '') {
      if (cmd.required.includes(name)) return refuse(field, 'required', 'is required');
      continue;
    }
    let value: string | number;
    if (spec.type === 'integer' || spec.type === 'number') {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n)) return refuse(field, 'not_a_number', 'must be a number');
      if (spec.type === 'integer' && !Number.isInteger(n)) return refuse(field, 'not_integer', 'must be a whole number');
      if (spec.type === 'integer' && n < 0) return refuse(field, 'negative', 'must not be negative');
      value = n;
    } else {
      value = String(raw);
      if (value.includes('#')) return refuse(field, 'no_hash', 'must not contain "#"');
      if (spec.pattern && !new RegExp(spec.pattern).test(value)) return refuse(field, 'pattern', `must match ${spec.pattern}`, { pattern: spec.pattern });
    }
    if (spec.enum && !spec.enum.map(String).includes(String(value))) {
      return refuse(field, 'invalid_enum', `must be one of ${spec.enum.join(', ')}`, { values: spec.enum.map(String) });
    }
    values[name] = value;
  }
  const text = renderTemplate(cmd.template, values);
  if (/\{[a-z_]+\}/i.test(text)) return refuse('params', 'missing_value', `missing a value for ${text}`, { text });
  return { ok: true, text };
}
