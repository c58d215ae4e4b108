// Pure rule shared by the drafts' store adapters: which of an owner's drafts go when the owner
// has more than the limit (the least recently changed; ties by id, so both adapters agree).
import type { DraftDoc } from './port.js';

export function dropBeyond(owned: ReadonlyArray<Pick<DraftDoc, 'id' | 'updated_at'>>, max: number): string[] {
  const sorted = [...owned].sort((a, b) => b.updated_at - a.updated_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted.slice(Math.max(0, max)).map((d) => d.id);
}
