// Which trigrams of a text search the PostgreSQL jobs list probes (hub/store/pg/jobs-search.ts):
// the needle's inner ASCII trigrams, only the rare ones by the index statistics, rarest first;
// none rare, or none at all: null (the list is walked in order instead).
import { describe, expect, it } from 'vitest';
import { COMMON, needleTrigrams, probeTrigrams, type TrigramStats } from '../../hub/store/pg/jobs-search.js';

const stats = (freq: Record<string, number>, floor: number): TrigramStats => ({ freq: new Map(Object.entries(freq)), floor });

describe('jobs list text search: trigrams probed', () => {
  it('the needle trigrams are the windows inside ASCII letter and digit runs, lower-cased', () => {
    expect(needleTrigrams('Player_1234')).toEqual(['pla', 'lay', 'aye', 'yer', '123', '234']);
    expect(needleTrigrams('ab_cd e')).toEqual([]);
    expect(needleTrigrams('Насос 12')).toEqual([]);
    expect(needleTrigrams('x9zx9z')).toEqual(['x9z', '9zx', 'zx9']);
  });

  it('only trigrams rarer than COMMON, rarest first, at most three; unlisted ones count as rarer than the floor', () => {
    const s = stats({ pla: 1, lay: 1, aye: 1, yer: 1, '123': 0.02, '234': 0.01 }, 0.001);
    expect(probeTrigrams('player_1234', s)).toEqual(['234', '123']);
    expect(probeTrigrams('player_12345', s)).toEqual(['345', '234', '123']);
    expect(probeTrigrams('player', s)).toBeNull();
    expect(probeTrigrams('pl', s)).toBeNull();
    expect(probeTrigrams('layer_99', stats({ lay: COMMON, aye: 0.5, yer: 0.5 }, 0.001))).toBeNull();
  });

  it('without statistics every trigram is a candidate (the first three)', () => {
    expect(probeTrigrams('player', { freq: new Map(), floor: null })).toEqual(['pla', 'lay', 'aye']);
  });
});
