// The boundaries of issue 20, enforced by ESLint's no-restricted-imports (eslint.config.js):
// a wrong import fails the lint. Each case lints a one-line source as if it were a file of that
// folder, so the rule itself (not only today's code) is checked.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Only this rule, without type information (the project's typed rules would build the whole
// program first; the import rule needs none).
const eslint = new ESLint({
  cwd: process.cwd(),
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function restricted(filePath: string, source: string): Promise<string[]> {
  const [r] = await eslint.lintText(source, { filePath });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message.replace(/^.* by a pattern\. /, ''));
}

describe('import boundaries (issue 20)', () => {
  it('hub/model, hub/core and hub/store import nothing from remediation/, api/ or web/', async () => {
    const why = 'hub/model, hub/core and hub/store import nothing from remediation/, api/ or web/';
    expect(await restricted('hub/model/execution.ts', "export { reduce } from '../remediation/reducer.js';\n")).toEqual([why]);
    expect(await restricted('hub/store/pg/executions.ts', "export { createApp } from '../../api/app.js';\n")).toEqual([why]);
    expect(await restricted('hub/core/action.ts', "export { executionView } from '../model/execution-view.js';\n")).toEqual([]);
  });

  it('agent/ and exporter/ reach hub/common only through #common/*, and nothing else of the hub', async () => {
    expect(await restricted('agent/app.ts', "export { createLogger } from '../hub/common/log.js';\n")).toEqual(['import hub/common/ through the #common/* alias (package.json imports)']);
    expect(await restricted('exporter/app.ts', "export { HubStore } from '../hub/store/store.js';\n")).toEqual(['agent/ and exporter/ may import only hub/common/ of the hub']);
    expect(await restricted('agent/app.ts', "export { createLogger } from '#common/log.js';\n")).toEqual([]);
  });
});
