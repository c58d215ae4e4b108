// `hub store copy --data-dir DIR --to URL`: move an existing lowdb data directory into an empty
// PostgreSQL database (migrated first), then point the hub's config at it (store.kind postgres).
// Stop the hub first: the copy reads the files as they are. URL may also come from
// GSMJOBS_HUB_STORE__URL. Exit 0 copied, 1 the copy failed (nothing is overwritten: the target
// must be empty), 2 usage error or invalid stored data.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli } from './common/cli-args.js';
import type { HubCommand } from './cli.js';
import { copyStore } from './store/copy.js';
import { LowdbStore } from './store/lowdb-adapter.js';
import { PgStore } from './store/pg/adapter.js';
import { StoreLoadError } from './store/schemas.js';
import { HubStore } from './store/store.js';

const USAGE = 'hub: usage: hub store copy --data-dir DIR --to postgres://... (or GSMJOBS_HUB_STORE__URL)';
const mask = (url: string) => url.replace(/\/\/[^/@]*@/, '//***@');

export const storeCommand: HubCommand = {
  name: 'store',
  help: [['store copy --data-dir D --to URL', 'copy a lowdb data dir into an empty PostgreSQL / перенести данные lowdb в пустую базу PostgreSQL']],
  async run(args, io) {
    const cli = parseCli(args, { strings: ['data-dir', 'to'] });
    const dir = cli.kind === 'run' ? (cli.values['data-dir'] as string | undefined) : undefined;
    const url = cli.kind === 'run' ? ((cli.values.to as string | undefined) ?? io.env.GSMJOBS_HUB_STORE__URL) : undefined;
    if (cli.kind !== 'run' || cli.positionals.join(' ') !== 'copy' || !dir || !url) {
      io.err(`${USAGE}${cli.kind === 'usage_error' ? ` (${cli.message})` : ''}\n`);
      return 2;
    }
    if (!/^postgres(ql)?:\/\/.+/.test(url)) {
      io.err(`hub: --to must be a postgres:// URL / --to должен быть URL postgres://\n`);
      return 2;
    }
    if (!existsSync(join(dir, 'definitions.json'))) {
      io.err(`hub: ${dir}: no definitions.json, not a hub data directory / не каталог данных хаба\n`);
      return 2;
    }
    const store = new HubStore(dir);
    let target: PgStore | null = null;
    try {
      await store.load();
      const from = await LowdbStore.open(store, dir);
      target = await PgStore.open({ connectionString: url, max: 4 });
      const n = await copyStore(from, target);
      io.out(`${JSON.stringify(n)}\n`);
      io.err(`hub: copied ${dir} into ${mask(url)} / данные перенесены; set store.kind: postgres in the hub's config / укажите store.kind: postgres в конфигурации хаба\n`);
      return 0;
    } catch (err) {
      io.err(`hub: store copy failed / перенос не выполнен: ${(err as Error).message}\n`);
      return err instanceof StoreLoadError ? 2 : 1;
    } finally {
      await target?.close().catch(() => undefined);
    }
  },
};
