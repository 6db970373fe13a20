// The real resolver (registerStores on @forge/resolver) over the emulator's KVS, called as Forge
// calls it, with the bytes it reads counted: the value bytes of every get, entity get and batch get.
import Resolver from '@forge/resolver';
import { createKvsFaults, createKvsFetch, type KvsFetch } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION, registerStores, type RegisteredStore } from '@bgstore/resolver';

export interface ResolverWorld {
  kvs: KvsFetch;
  /** Calls a resolver function as the given account (same site for everyone), on a warm instance. */
  call(functionKey: string, payload: Record<string, unknown>, accountId?: string): Promise<Record<string, unknown>>;
  /** The same on a cold instance: one that keeps nothing between invocations. */
  callCold(functionKey: string, payload: Record<string, unknown>, accountId?: string): Promise<Record<string, unknown>>;
  /** Value bytes read since the last reset. */
  bytesRead(): number;
  resetReads(): void;
  /** Bytes of every stored value (the document's head, pieces and log). */
  storedBytes(): number;
  /** The stored head's data (layout 3), to see when the log was folded. */
  head(): { revision: number; data: { b?: number; n?: number; z?: number } } | undefined;
}

const READS = new Set(['/api/v1/get', '/api/v1/entity/get', '/api/v1/batch/get']);
const bytes = (v: unknown) => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v), 'utf8'));

export function createResolverWorld(stores: RegisteredStore[], options: { kvsLatencyMs?: readonly [number, number]; seed?: number } = {}): ResolverWorld {
  const faults = options.kvsLatencyMs ? createKvsFaults({ seed: options.seed ?? 1, latencyMs: options.kvsLatencyMs }) : undefined;
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], faults });
  let read = 0;
  const counting = Object.assign(async (context: unknown, path: string, init?: { body?: string }) => {
    const response = await kvs(context, path, init);
    if (READS.has(path) && response.ok) {
      const body = (await response.clone().json()) as { value?: unknown; successfulKeys?: { value: unknown }[] };
      read += path.endsWith('batch/get') ? (body.successfulKeys ?? []).reduce((n, item) => n + bytes(item.value), 0) : bytes(body.value);
    }
    return response;
  }, kvs);
  (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = counting;
  const instance = (warmDocuments: number) => {
    const resolver = new Resolver();
    registerStores(resolver, stores, { maxPayload: 5_000_000, warmDocuments });
    const handler = resolver.getDefinitions() as unknown as (e: unknown, r: unknown) => Promise<unknown>;
    return (functionKey: string, payload: Record<string, unknown>, accountId = 'bench') =>
      handler({ call: { functionKey, payload: JSON.parse(JSON.stringify(payload)) }, context: {} }, { installContext: 'bench', principal: { accountId } }).then((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);
  };
  return {
    kvs,
    call: instance(8),
    callCold: instance(0),
    bytesRead: () => read,
    resetReads: () => void (read = 0),
    storedBytes: () => kvs.inspect().reduce((n, e) => n + bytes(e.value), 0),
    head() {
      const entry = kvs.inspect('entity:bgstore-doc')[0];
      if (!entry) return undefined;
      const value = entry.value as { revision: number; data: string };
      return { revision: value.revision, data: JSON.parse(value.data) as { b?: number; n?: number; z?: number } };
    },
  };
}
