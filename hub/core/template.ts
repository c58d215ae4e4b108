// SMS text templating: {name} placeholders replaced by values; unknown ones are left as they are.

export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-z_][a-z0-9_]*)\}/gi, (whole, key: string) => {
    // Own properties only: "{constructor}" in a text must stay literal, not become Object.
    const v = Object.hasOwn(values, key) ? values[key] : undefined;
    return v === undefined ? whole : String(v);
  });
}

/** Placeholder names a template uses. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([a-z_][a-z0-9_]*)\}/gi)].map((m) => m[1] as string);
}
