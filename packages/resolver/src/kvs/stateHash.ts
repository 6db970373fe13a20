import { createHash } from 'node:crypto';

// A strong hash of a state as JSON holds it (#17: a cold commit takes its base from the caller and
// checks it against the hash the head keeps). SHA-256 over a Merkle form, so a commit rehashes only
// what it changed: each container's hash is kept per object (states are immutable: immer makes
// them, and a commit's parts that did not change are the same objects), and a long array or object
// is hashed in chunks of 64 entries, each reused from the state before while its entries are the
// same objects. The form is canonical for JSON: what `JSON.stringify` drops (undefined, functions)
// is dropped, and key order counts, as it does for the app (a base with its keys reordered is
// another state).
//
// The form, unambiguous by construction (a JSON text never starts with `#`):
//   ref(v)       = JSON.stringify(v) for a primitive, or a container of ≤ 64 primitive entries;
//                  else `#` + node(v)
//   node(array)  = H("a" n ":" ref(v0) "," …)                      n ≤ 64
//                = H("A" n ":" H("a" k ":" refs of a chunk) "," …)   n > 64, chunks of 64
//   node(object) = the same with "o" / "O" and entries JSON.stringify(key) ":" ref(value)
// H is SHA-256, written base64url (43 characters).

const CHUNK = 64;
type Node = Record<string, unknown> | unknown[];
/** A container's `ref`, and its chunks' hashes when it has more than {@link CHUNK} entries. */
interface Known {
  ref: string;
  chunks?: string[];
}
const known = new WeakMap<object, Known>();

const sha = (text: string) => createHash('sha256').update(text).digest('base64url');
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/** A container's entries as JSON keeps them: its keys in order (none for an array) and its values. */
interface Entries {
  keys?: string[];
  values: unknown[];
}

const dropped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

function entriesOf(node: Node): Entries {
  if (Array.isArray(node)) return { values: node };
  const keys = Object.keys(node).filter((key) => !dropped(node[key]));
  return { keys, values: keys.map((key) => node[key]) };
}

/** A primitive as JSON writes it (what JSON drops is `null` in an array). */
const primitive = (v: unknown) => (dropped(v) ? 'null' : JSON.stringify(v));

/**
 * The `ref` of `value`; `before` is the state this one was made from (or undefined), whose known
 * chunk hashes are reused where the entries are the same objects.
 */
function refOf(value: unknown, before: unknown): string {
  if (!isNode(value)) return primitive(value);
  const seen = known.get(value);
  if (seen) return seen.ref;
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return refOf((json as () => unknown).call(value), undefined);
  const array = Array.isArray(value);
  const { keys, values } = entriesOf(value);
  if (values.length <= CHUNK && !values.some(isNode)) return JSON.stringify(value);
  const prior = isNode(before) && Array.isArray(before) === array ? before : undefined;
  const priorKnown = prior ? known.get(prior) : undefined;
  const old = priorKnown?.chunks ? entriesOf(prior!) : undefined;
  // Each entry's text; its hint is what stood under the same key (or index) in the prior state.
  const text = (i: number) => {
    const key = keys?.[i];
    const hint = prior === undefined ? undefined : key === undefined ? (prior as unknown[])[i] : (prior as Record<string, unknown>)[key];
    return (key === undefined ? '' : `${JSON.stringify(key)}:`) + refOf(values[i], hint);
  };
  const tag = array ? 'a' : 'o';
  const part = (start: number, end: number) => {
    const texts: string[] = [];
    for (let i = start; i < end; i++) texts.push(text(i));
    return sha(`${tag}${end - start}:${texts.join(',')}`);
  };
  // The prior state's chunk at the same place holds the same entries (same keys, same objects).
  const sameAsOld = (start: number, end: number) => {
    if (!old || Math.min(old.values.length, start + CHUNK) !== end) return false;
    for (let i = start; i < end; i++) if (old.values[i] !== values[i] || old.keys?.[i] !== keys?.[i]) return false;
    return true;
  };
  let result: Known;
  if (values.length <= CHUNK) result = { ref: `#${part(0, values.length)}` };
  else {
    const chunks: string[] = [];
    for (let start = 0, k = 0; start < values.length; start += CHUNK, k++) {
      const end = Math.min(values.length, start + CHUNK);
      chunks.push(sameAsOld(start, end) ? priorKnown!.chunks![k]! : part(start, end));
    }
    result = { ref: `#${sha(`${tag.toUpperCase()}${values.length}:${chunks.join(',')}`)}`, chunks };
  }
  known.set(value, result);
  return result.ref;
}

/**
 * The SHA-256 Merkle hash of a JSON state (base64url): equal for equal JSON values (with keys in
 * the same order), and, SHA-256 being collision-resistant, for nothing else. With `before` — the
 * state `state` was made from — only what changed is hashed again (O(change) when `before` was
 * hashed already, plus a comparison of each changed long array's entries).
 */
export function stateHash(state: unknown, before?: unknown): string {
  const ref = refOf(state, before);
  // A primitive or a small flat container has no node of its own: hash its text.
  return ref.startsWith('#') ? ref.slice(1) : sha(`v:${ref}`);
}
