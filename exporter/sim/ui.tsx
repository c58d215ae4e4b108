// A small page for the demo: flip devices online/offline and switch an API outage on or off
// with a button. Server-rendered with hono/jsx (escaped by default); no client script.
import { Hono } from 'hono';
import type { Sim } from './app.js';
import type { SimState } from './state.js';

const SHOWN = 50;

export function createSimUi(state: SimState, sim: Pick<Sim, 'fail' | 'failing'>): Hono {
  const ui = new Hono();

  ui.get('/', (c) => {
    const ids = state.ids().slice(0, SHOWN);
    const failing = sim.failing();
    return c.html(
      <html lang="ru">
        <head>
          <meta charset="utf-8" />
          <title>Симулятор платформ / Platform simulator</title>
        </head>
        <body>
          <h1>Симулятор AddReality / CubicMedia — Platform simulator</h1>
          <form method="post" action={`/_sim/ui/outage/${failing ? 'off' : 'on'}`}>
            <p>
              API: <strong>{failing ? `сбой / failing (${failing.mode})` : 'работает / up'}</strong>{' '}
              <button type="submit">{failing ? 'Восстановить API / Restore the API' : 'Сбой API / Make the API fail'}</button>
            </p>
          </form>
          <p>
            Устройств / devices: {state.devices.size} (показаны первые {Math.min(SHOWN, ids.length)} / first {Math.min(SHOWN, ids.length)} shown)
          </p>
          <table>
            <tr>
              <th>device_id</th>
              <th>name</th>
              <th>connection_state</th>
              <th></th>
            </tr>
            {ids.map((id) => {
              const d = state.devices.get(id)!;
              const online = d.connection_state === 'online';
              return (
                <tr>
                  <td>{id}</td>
                  <td>{String(d.name ?? '')}</td>
                  <td>{String(d.connection_state ?? '—')}</td>
                  <td>
                    <form method="post" action={`/_sim/ui/devices/${id}/${online ? 'offline' : 'online'}`}>
                      <button type="submit">{online ? 'Выключить / Take offline' : 'Включить / Bring online'}</button>
                    </form>
                  </td>
                </tr>
              );
            })}
          </table>
        </body>
      </html>,
    );
  });

  ui.post('/devices/:id/:state{online|offline}', (c) => {
    const id = c.req.param('id');
    if (!state.get(id)) return c.text('нет такого устройства / no such device\n', 404);
    const online = c.req.param('state') === 'online';
    state.set(id, { connection_state: online ? 'online' : 'offline', player_status: online ? 'playback' : 'idle' });
    return c.redirect('/_sim/ui', 303);
  });

  ui.post('/outage/:state{on|off}', (c) => {
    sim.fail(c.req.param('state') === 'on' ? { mode: 'http', status: 503, retry_after_s: 1, api: 'all', hold_ms: 0 } : undefined);
    return c.redirect('/_sim/ui', 303);
  });
  return ui;
}
