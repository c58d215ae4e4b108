// A small JSON Schema checker for tests (the subset the OpenAPI document and z.toJSONSchema
// use: type, enum, const, properties / required / additionalProperties, items, anyOf / oneOf /
// allOf, local $ref, minimum / maximum, minLength / maxLength, pattern). Returns the paths that
// do not match, empty when the value is valid. Unknown keywords are ignored.
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(t: string, v: unknown): boolean {
  const actual = typeOf(v);
  return t === actual || (t === 'number' && actual === 'integer');
}

export function validate(schema: unknown, value: unknown, root: unknown = schema, path = '$'): string[] {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${path}: not allowed`];
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const target = s.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], root);
    if (target === undefined) return [`${path}: unresolved ${s.$ref}`];
    return validate(target, value, root, path);
  }
  const errors: string[] = [];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key] as unknown[] | undefined;
    if (options && !options.some((o) => validate(o, value, root, path).length === 0)) {
      const best = options.map((o) => validate(o, value, root, path)).sort((a, b) => a.length - b.length)[0] ?? [];
      errors.push(`${path}: matches no ${key} option (${best.slice(0, 3).join('; ')})`);
    }
  }
  for (const sub of (s.allOf as unknown[] | undefined) ?? []) errors.push(...validate(sub, value, root, path));
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeMatches(t, value))) return [...errors, `${path}: ${typeOf(value)} is not ${types.join('|')}`];
  }
  if (s.enum && !(s.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) errors.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(s.const)}`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength) errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) errors.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value) && s.items !== undefined) value.forEach((v, i) => errors.push(...validate(s.items, v, root, `${path}[${i}]`)));
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (s.properties as Record<string, unknown> | undefined) ?? {};
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}.${r}: missing`);
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) errors.push(...validate(props[k], v, root, `${path}.${k}`));
      else if (s.additionalProperties === false) errors.push(`${path}.${k}: not in the schema`);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') errors.push(...validate(s.additionalProperties, v, root, `${path}.${k}`));
    }
  }
  return errors;
}
