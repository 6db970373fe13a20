// Runs the real @forge/resolver handler, as Forge calls it, against the real @forge/kvs on the
// emulator's KVS. Each test gets a fresh store.
import Resolver from '@forge/resolver';
import { createKvsFetch, createKvsFaults, createRealClock, createRealtimeBackend, createRealtimeHub, type KvsFetch, type ManualClock } from '@bgstore/emulator';
import { applyPatches } from '../src/kvs/docLog';
import { DOC_ENTITY_DECLARATION, registerStores, type RegisteredStore, type RegisterStoresOptions } from '../src';

export interface Caller {
  accountId?: string | null;
  extension?: Record<string, unknown>;
  cloudId?: string;
}

export function createBackend(definitions: RegisteredStore[], options: RegisterStoresOptions & { faults?: Parameters<typeof createKvsFaults>[0]; kvs?: KvsFetch } = {}) {
  const kvs: KvsFetch = options.kvs ?? createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], faults: options.faults ? createKvsFaults(options.faults) : undefined });
  // Realtime as the resolver's functions reach it: `@forge/realtime` posts to the same __forge_fetch__.
  const hub = createRealtimeHub();
  const realtime = createRealtimeBackend({ hub, installation: 'installation-1', clock: createRealClock() });
  const meter = createMeter(kvs);
  Object.assign(globalThis, { __forge_fetch__: realtime.route(meter.fetch), __forge_runtime__: { appContext: { installationId: 'installation-1' } } });
  return { kvs, call: resolverCall(definitions, options), hub, realtime, meter };
}

/** Registers the stores on a real Resolver and calls its handler as Forge does, as `caller`. */
export function resolverCall(definitions: RegisteredStore[], options: RegisterStoresOptions) {
  const resolver = new Resolver();
  registerStores(resolver, definitions, options);
  const handler = resolver.getDefinitions() as unknown as (event: unknown, runtime: unknown) => Promise<unknown>;
  return (functionKey: string, payload: unknown, caller: Caller = {}) => {
    const cloudId = caller.cloudId ?? 'cloud-1';
    const accountId = caller.accountId === undefined ? 'user-1' : caller.accountId;
    return handler(
      { call: { functionKey, payload }, context: { cloudId, moduleKey: 'bg', extension: { type: 'confluence:backgroundScript', ...caller.extension } } },
      { installContext: `ari:cloud:confluence::site/${cloudId}`, ...(accountId ? { principal: { accountId } } : {}) },
    ) as Promise<Record<string, unknown>>;
  };
}

export const intent = (clientId: string, seq: number, name: string, ...args: unknown[]) => ({ clientId, seq, name, args });

/** The state a commit answer says is stored, given the state at the caller's base revision. */
export const stateAfter = (base: unknown, answer: { state?: unknown; patches?: unknown }) =>
  answer.state !== undefined ? answer.state : answer.patches ? applyPatches(base, answer.patches as never) : undefined;

const READ_PATHS = new Set(['/api/v1/get', '/api/v1/query', '/api/v1/entity/get', '/api/v1/entity/query', '/api/v1/batch/get', '/api/v1/secret/get']);

/**
 * Meters KVS reads as Forge bills them: each read request's answer rounded up to 10 KB units (at
 * least 1). Wraps the emulator's KVS `__forge_fetch__`.
 */
export function createMeter(kvs: KvsFetch) {
  const counts = { readRequests: 0, readUnits: 0 };
  const fetch: KvsFetch = (async (context: unknown, path: string, init: unknown) => {
    const response = await (kvs as unknown as (c: unknown, p: string, i: unknown) => Promise<Response>)(context, path, init);
    if (READ_PATHS.has(path)) {
      const bytes = Buffer.byteLength(await response.clone().text());
      counts.readRequests++;
      counts.readUnits += Math.max(1, Math.ceil(bytes / 10_240));
    }
    return response;
  }) as unknown as KvsFetch;
  return { fetch, counts, reset: () => Object.assign(counts, { readRequests: 0, readUnits: 0 }) };
}

/**
 * Polls `done` a few ms apart until it holds, for real work in flight (storage calls, MariaDB). The
 * wait is for the event; its ceiling (60 s, times the hang-guard factor CI sets, see
 * jest/hangGuard.js) only stops a hang, and ends the loop if the test timed out meanwhile.
 */
export async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const ceilingMs = 60_000 * Number(process.env.BGSTORE_TIMEOUT_FACTOR ?? 1);
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > ceilingMs) throw new Error(`[test] still waiting after ${ceilingMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Moves the emulator's clock `stepMs` at a time until `done` holds, but only while something waits
 * on it (a timer pending); while the work in flight is real I/O (the KVS emulator, MariaDB) it waits
 * for that instead. So a loaded machine neither spends a commit's emulated budget on its I/O nor
 * runs out of steps before the answer comes (a fixed count of steps once did, then waited forever).
 */
export async function advanceUntil(clock: ManualClock, done: () => boolean | Promise<boolean>, what: string, stepMs = 1): Promise<void> {
  await until(async () => {
    if (await done()) return true;
    if (clock.pending() > 0) await clock.advanceAsync(stepMs);
    return done();
  }, what);
}
