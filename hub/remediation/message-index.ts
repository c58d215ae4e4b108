// Which execution a message belongs to, by the message's own id (its `wire_id`, the agent's
// `execution_id`): the engine, the only writer of executions, adds every message it creates; the
// index is built from the store at first use. Nothing is parsed out of the id (issue 20).
// Executions pruned by retention leave stale entries, dropped when met and by a rebuild once the
// index has grown to twice its size at the last build.
import type { Execution, MessageRun } from '../model/execution.js';
import type { LeaderStore } from '../store/leader-store.js';

export class MessageIndex {
  private map: Map<string, string> | null = null;
  private limit = 0;

  constructor(private readonly store: Pick<LeaderStore, 'execution' | 'executionList'>) {}

  add(wireId: string, executionId: string): void {
    const map = this.built();
    map.set(wireId, executionId);
    if (map.size > this.limit) this.map = null;
  }

  find(wireId: string): { exec: Execution; msg: MessageRun } | undefined {
    const map = this.built();
    const id = map.get(wireId);
    if (id === undefined) return undefined;
    const exec = this.store.execution(id);
    const msg = exec?.messages.find((m) => m.wire_id === wireId);
    if (!exec || !msg) {
      map.delete(wireId);
      return undefined;
    }
    return { exec, msg };
  }

  private built(): Map<string, string> {
    if (this.map) return this.map;
    const map = new Map<string, string>();
    for (const e of this.store.executionList()) for (const m of e.messages) map.set(m.wire_id, e.id);
    this.map = map;
    this.limit = 2 * map.size + 10_000;
    return map;
  }
}
