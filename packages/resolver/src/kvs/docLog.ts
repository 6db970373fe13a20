import { diffState } from '@bgstore/core/durable';

// A document's log: one entry per revision since its snapshot, holding what that commit changed —
// the patches that take the state from the previous revision to this one, and the client-table
// records that changed or went (the table is treated as an opaque JSON record keyed by string).

/** What one commit changed. Stored as JSON text under `<key>:l<revision>`. */
export interface LogEntry {
  /** The revision this entry makes. */
  r: number;
  /** Patches on the state (immer's JSON-patch form). */
  p?: { op: 'add' | 'replace' | 'remove'; path: (string | number)[]; value?: unknown }[];
  /** Client-table records written (whole records). */
  c?: Record<string, unknown>;
  /** Client-table keys removed. */
  x?: string[];
}

type Clients = Record<string, unknown>;

/**
 * The entry taking `before` to `after` (`after` made from `before` by immer, so unchanged parts share
 * identity and the diff costs O(change)). `texts` holds the JSON of `before`'s client records, keyed
 * as the table is, so only records whose text changed are written.
 */
export function makeEntry(revision: number, before: { state: unknown; clients: Clients }, after: { state: unknown; clients: Clients }, texts: Map<string, string>): { entry: LogEntry; growth: number } {
  const entry: LogEntry = { r: revision };
  const patches = diffJson(before.state, after.state);
  if (patches.length) entry.p = patches;
  let growth = stateGrowth(before.state, patches);
  const changed: Clients = {};
  let anyChanged = false;
  for (const [id, record] of Object.entries(after.clients)) {
    if (record === before.clients[id]) continue;
    const text = JSON.stringify(record);
    const old = texts.get(id);
    if (old === text) continue;
    growth += text.length - (old?.length ?? 0);
    changed[id] = record;
    anyChanged = true;
  }
  if (anyChanged) entry.c = changed;
  const removed = Object.keys(before.clients).filter((id) => !Object.prototype.hasOwnProperty.call(after.clients, id));
  for (const id of removed) growth -= texts.get(id)?.length ?? 0;
  if (removed.length) entry.x = removed;
  return { entry, growth };
}

type Patch = NonNullable<LogEntry['p']>[number];

/** Patches taking JSON value `a` to `b` at O(change): core's one identity-based JSON diff. */
export const diffJson: (a: unknown, b: unknown) => Patch[] = diffState;

const size = (value: unknown) => (value === undefined ? 0 : JSON.stringify(value).length);

/**
 * About how many characters the state's JSON grows by under `patches` (negative when it shrinks):
 * each added value's size less each replaced or removed one's, read from `before` — O(change).
 * Runs of removals at one index (how a slice is removed) count the slice's elements.
 */
function stateGrowth(before: unknown, patches: NonNullable<LogEntry['p']>): number {
  let growth = 0;
  let run = { path: '', offset: 0 };
  for (const patch of patches) {
    const last = patch.path[patch.path.length - 1];
    const parent = JSON.stringify(patch.path.slice(0, -1));
    let offset = 0;
    if (patch.op === 'remove' && typeof last === 'number') {
      const same = run.path === `${parent}#${last}`;
      offset = same ? run.offset + 1 : 0;
      run = { path: `${parent}#${last}`, offset };
    } else run = { path: '', offset: 0 };
    const at = typeof last === 'number' ? [...patch.path.slice(0, -1), last + offset] : patch.path;
    const old = patch.op === 'add' && typeof last === 'number' ? undefined : valueAt(before, at);
    growth += (patch.op === 'remove' ? 0 : size(patch.value)) - size(old) + (patch.op === 'add' ? String(last).length + 3 : 0);
  }
  return growth;
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** The JSON text of each client record, to tell later which ones a commit changed. */
export function clientTexts(clients: Clients): Map<string, string> {
  return new Map(Object.entries(clients).map(([id, record]) => [id, JSON.stringify(record)]));
}

/** Applies entries, in revision order, to a state and client table (neither is modified). */
export function replayEntries(state: unknown, clients: Clients, entries: readonly LogEntry[]): { state: unknown; clients: Clients } {
  if (entries.length === 0) return { state, clients };
  const next = applyPatches(state, entries.flatMap((e) => e.p ?? []));
  const table: Clients = { ...clients };
  for (const e of entries) {
    for (const id of e.x ?? []) delete table[id];
    Object.assign(table, e.c);
  }
  return { state: next, clients: table };
}

type Container = Record<string | number, unknown>;

/**
 * Applies JSON patches without modifying what it was given: each object or array on a patched path
 * is copied once (on first touch), then changed in place — arrays splice natively, so a removal
 * from a long array costs one copy and one splice.
 */
export function applyPatches(root: unknown, patches: NonNullable<LogEntry['p']>): unknown {
  const copies = new WeakSet<object>();
  const own = (value: unknown): Container => {
    if (typeof value !== 'object' || value === null) throw new Error(`[bgstore] a stored patch goes through ${JSON.stringify(value)}; the stored document is damaged`);
    if (copies.has(value)) return value as Container;
    const copy = (Array.isArray(value) ? value.slice() : { ...value }) as Container;
    copies.add(copy);
    return copy;
  };
  let result = root;
  for (const patch of patches) {
    const { path } = patch;
    if (path.length === 0) {
      result = patch.op === 'remove' ? undefined : patch.value;
      continue;
    }
    result = own(result);
    let node = result as Container;
    for (let i = 0; i < path.length - 1; i++) {
      const child = own(node[path[i]!]);
      node[path[i]!] = child;
      node = child;
    }
    const last = path[path.length - 1]!;
    if (Array.isArray(node)) {
      const list = node as unknown[];
      const index = last === '-' ? list.length : Number(last);
      if (patch.op === 'add') list.splice(index, 0, patch.value);
      else if (patch.op === 'remove') list.splice(index, 1);
      else list[index] = patch.value;
    } else if (patch.op === 'remove') delete node[last];
    else node[last] = patch.value;
  }
  return result;
}
