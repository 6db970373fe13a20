/**
 * One stored value. Times are clock milliseconds; `expireTime` is absent for values without a TTL.
 * The value is JSON (it went through `JSON.parse`), so a backend may serialize it freely.
 */
export interface KvsRecord {
  value: unknown;
  createdAt: number;
  updatedAt: number;
  expireTime?: number;
}

/**
 * A namespace separates key spaces: `'kv'` for `kvs.set`, `'secret'` for `kvs.setSecret`,
 * `entity:<name>` for each custom entity.
 */
export type KvsNamespace = string;

/** One change inside {@link KvsBackend.apply}. */
export type KvsOp =
  | { type: 'put'; namespace: KvsNamespace; key: string; record: KvsRecord }
  | { type: 'delete'; namespace: KvsNamespace; key: string };

/** A stored record with its address, as {@link KvsBackend.list} returns it. */
export interface KvsEntry {
  namespace: KvsNamespace;
  key: string;
  record: KvsRecord;
}

/**
 * A versioned map of records keyed by (namespace, key). Synchronous on purpose: the KVS router
 * reads, checks conditions and applies in one turn of the event loop, which is what makes a
 * transaction atomic against concurrent calls without any locking.
 */
export interface KvsBackend {
  get(namespace: KvsNamespace, key: string): KvsRecord | undefined;
  /** Records of one namespace sorted by key (code unit order), optionally only keys starting with `prefix`. */
  list(namespace: KvsNamespace, prefix?: string): KvsEntry[];
  /** Every namespace that holds at least one record, sorted. */
  namespaces(): KvsNamespace[];
  /** Applies every op or none; later ops on the same key win. Bumps {@link KvsBackend.version} once. */
  apply(ops: readonly KvsOp[]): void;
  /** Number of successful non-empty {@link KvsBackend.apply} calls since the store was created (persisted by durable backends). */
  version(): number;
  /** Releases resources (file handles). The backend must not be used afterwards. */
  close(): void;
}

/** The in-memory state shared by the memory and file backends. */
export interface KvsState {
  data: Map<KvsNamespace, Map<string, KvsRecord>>;
  version: number;
}

/** Creates an empty {@link KvsState}. */
export function createKvsState(): KvsState {
  return { data: new Map(), version: 0 };
}

/** Applies `ops` to `state` in place; callers validate ops first so this cannot fail half-way. */
export function applyToState(state: KvsState, ops: readonly KvsOp[]): void {
  if (ops.length === 0) return;
  for (const op of ops) {
    let ns = state.data.get(op.namespace);
    if (op.type === 'put') {
      if (!ns) state.data.set(op.namespace, (ns = new Map()));
      ns.set(op.key, cloneRecord(op.record));
    } else if (ns) {
      ns.delete(op.key);
      if (ns.size === 0) state.data.delete(op.namespace);
    }
  }
  state.version++;
}

/** Checks the shape of ops before anything is applied, so a bad op cannot leave a partial write. */
export function assertOps(ops: readonly KvsOp[]): void {
  for (const op of ops) {
    if (typeof op.namespace !== 'string' || op.namespace === '' || typeof op.key !== 'string') {
      throw new TypeError(`[emulator] invalid KVS op address ${JSON.stringify({ namespace: op.namespace, key: op.key })}`);
    }
    if (op.type === 'put') {
      const r = op.record;
      if (!r || typeof r.createdAt !== 'number' || typeof r.updatedAt !== 'number' || (r.expireTime !== undefined && typeof r.expireTime !== 'number')) {
        throw new TypeError(`[emulator] invalid KVS record for ${op.namespace}/${op.key}`);
      }
      if (r.value === undefined) throw new TypeError(`[emulator] KVS record ${op.namespace}/${op.key} has no value`);
    } else if (op.type !== 'delete') {
      throw new TypeError(`[emulator] unknown KVS op type ${String((op as { type: unknown }).type)}`);
    }
  }
}

/** Read-side helpers over a {@link KvsState}, shared by the backends. */
export function stateReader(state: KvsState): Pick<KvsBackend, 'get' | 'list' | 'namespaces' | 'version'> {
  return {
    get(namespace, key) {
      const r = state.data.get(namespace)?.get(key);
      return r && cloneRecord(r);
    },
    list(namespace, prefix = '') {
      const ns = state.data.get(namespace);
      if (!ns) return [];
      const out: KvsEntry[] = [];
      for (const [key, record] of ns) if (key.startsWith(prefix)) out.push({ namespace, key, record: cloneRecord(record) });
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    namespaces: () => [...state.data.keys()].sort(),
    version: () => state.version,
  };
}

// Callers get copies so that mutating a returned value cannot change what is stored.
function cloneRecord(r: KvsRecord): KvsRecord {
  const copy: KvsRecord = { value: structuredClone(r.value), createdAt: r.createdAt, updatedAt: r.updatedAt };
  if (r.expireTime !== undefined) copy.expireTime = r.expireTime;
  return copy;
}

/**
 * Creates a {@link KvsBackend} that keeps everything in memory.
 * @example
 * const backend = createMemoryKvsBackend();
 * backend.apply([{ type: 'put', namespace: 'kv', key: 'a', record: { value: 1, createdAt: 0, updatedAt: 0 } }]);
 * backend.get('kv', 'a')?.value; // 1
 */
export function createMemoryKvsBackend(): KvsBackend {
  const state = createKvsState();
  return {
    ...stateReader(state),
    apply(ops) {
      assertOps(ops);
      applyToState(state, ops);
    },
    close() {},
  };
}
