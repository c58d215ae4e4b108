// Writes hub/common/contract/CONTRACT.md from the schemas and examples.
import { writeFileSync } from 'node:fs';
import { renderContractDoc } from '../hub/common/contract/doc.js';

const target = new URL('../hub/common/contract/CONTRACT.md', import.meta.url);
writeFileSync(target, renderContractDoc());
console.log(`wrote ${target.pathname}`);
