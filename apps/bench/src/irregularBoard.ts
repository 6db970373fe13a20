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

const log2 = Math.log2;
/** Bits of a word of `min`–`max` random letters (its length uniform too). */
const wordBits = (min: number, max: number) => log2(max - min + 1) + ((min + max) / 2) * log2(26);
/** Bits of a yes/no drawn with probability `p`. */
const chanceBits = (p: number) => -(p * log2(p) + (1 - p) * log2(1 - p));

/**
 * What the irregular board's random draws carry, in bytes: the Shannon entropy of the draws
 * `irregularState` makes (an id's word and number, a title's words, `done`), from their
 * distributions. No encoding stores the board in fewer bytes on average; a little fewer than this
 * is possible only because an id's last letters and its base-36 number can be told apart less
 * well than the draws. Its structure (JSON keys, brackets) and `done` after toggles add nothing.
 */
export function irregularEntropyBytes(items: number): number {
  const id = wordBits(3, 8) + log2(1e6 + 1);
  const title = log2(6) + 3.5 * wordBits(2, 10);
  const item = id + chanceBits(0.3) + (items > COMPACT_ABOVE ? 0 : title);
  return (items * item + wordBits(5, 20)) / 8;
}

/** The board's random fields alone, one a line (no JSON around them): what a general compressor gets from them is an achievable bound. */
export const randomFields = (state: ReturnType<typeof irregularState>) =>
  [state.meta.title, ...state.items.flatMap((item) => [item.id, item.title ?? '', item.done ? '1' : '0'])].join('\n');
