// GET /api/v1/jobs pages by cursor (issue 20): next_cursor and the Link header lead through the
// whole filtered list in order, without repeats or gaps; total is exact for small lists; a broken
// cursor is a 400 naming the field; offset keeps working; a POST answers without reading back.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import { decodeCursor, encodeCursor } from '../../hub/api/jobs-cursor.js';
import { jobBody } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

type Answer = { status: number; body: any; link: string | null }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GET /jobs with cursor', () => {
  it('walks the filtered list by next_cursor and by the Link header, same as one big page', async () => {
    const w = await createWorld();
    const app = createApp(w.deps);
    const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
      const res = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${TOKENS.a}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, link: res.headers.get('link') };
    };
    const names = ['b', 'a', 'Ы', 'b', 'c 10', 'c 2', 'a', 'z'];
    for (const [i, name] of names.entries()) {
      const r = await call('POST', '/api/v1/jobs', jobBody({ name, enabled: i !== 3 }));
      expect(r.status).toBe(201);
      expect(r.body.status).toMatchObject({ state: i === 3 ? 'disabled' : 'ok', last_execution: null });
    }
    for (const filter of ['', '&enabled=true', '&q=c']) {
      const all = await call('GET', `/api/v1/jobs?limit=100${filter}`);
      expect(all.body).toMatchObject({ total_exact: true, next_cursor: null });
      expect(all.link).toBeNull();
      const want = all.body.items.map((j: { id: string }) => j.id);
      expect(all.body.total).toBe(want.length);
      // By next_cursor.
      const got: string[] = [];
      let path = `/api/v1/jobs?limit=3${filter}`;
      for (let n = 0; n < 10; n++) {
        const page = await call('GET', path);
        expect(page.status).toBe(200);
        expect(page.body.total).toBe(want.length);
        got.push(...page.body.items.map((j: { id: string }) => j.id));
        if (!page.body.next_cursor) {
          expect(page.link).toBeNull();
          break;
        }
        // The Link header names the same next page, the filters kept, offset dropped.
        expect(page.link).toBe(`</api/v1/jobs?limit=3${filter}&cursor=${page.body.next_cursor}>; rel="next"`);
        path = `/api/v1/jobs?limit=3${filter}&cursor=${page.body.next_cursor}`;
      }
      expect(got).toEqual(want);
      // Following the Link header gives the same walk.
      const viaLink: string[] = [];
      let link: string | null = `/api/v1/jobs?limit=2${filter}&offset=0`;
      while (link) {
        const page = await call('GET', link);
        viaLink.push(...page.body.items.map((j: { id: string }) => j.id));
        link = page.link ? (/^<([^>]+)>; rel="next"$/.exec(page.link)?.[1] ?? null) : null;
      }
      expect(viaLink).toEqual(want);
      // offset still pages the same list.
      expect((await call('GET', `/api/v1/jobs?limit=2&offset=2${filter}`)).body.items.map((j: { id: string }) => j.id)).toEqual(want.slice(2, 4));
    }
    for (const bad of ['not base64!', encodeCursor({ name: 'a', id: 'b' }).slice(0, 5), Buffer.from('{"a":1}').toString('base64url'), 'x'.repeat(3000)]) {
      const r = await call('GET', `/api/v1/jobs?cursor=${encodeURIComponent(bad)}`);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(/cursor/);
    }
  });

  it('a cursor round-trips any name and id', () => {
    for (const c of [{ name: 'Плеер "1" / ?&#', id: 'j-1' }, { name: '', id: '' }, { name: '😀'.repeat(50), id: 'x'.repeat(64) }]) expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });
});
