// The bench's less regular board: random ids and titles (seeded), which compress and diff less well
// than `item-N`. Above 50,000 items the items are short (ids and `done`), so the document fits
// Forge's 4 MB transaction. Data only, so scripts that must not load @forge/bridge can use it.
import { createRandom } from '@bgstore/emulator';

/** Boards with more items than this use short items. */
export const COMPACT_ABOVE = 50_000;

const word = (random: ReturnType<typeof createRandom>, min: number, max: number) =>
  Array.from({ length: random.int(min, max) }, () => String.fromCharCode(97 + random.int(0, 25))).join('');

/** The irregular board's initial state for `items` items. */
export function irregularState(items: number, seed = 1) {
  const random = createRandom(seed);
  const compact = items > COMPACT_ABOVE;
  const list = Array.from({ length: items }, () => {
    const id = `${word(random, 3, 8)}${random.int(0, 1e6).toString(36)}`;
    if (compact) return { id, done: random.chance(0.3) };
    return { id, title: Array.from({ length: random.int(1, 6) }, () => word(random, 2, 10)).join(' '), done: random.chance(0.3) };
  });
  return { items: list as { id: string; title?: string; done: boolean }[], meta: { title: word(random, 5, 20) } };
}
