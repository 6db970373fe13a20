// The storage backends the conformance suite runs every guarantee against: Forge KVS and Forge SQL,
// both through the real @forge/resolver, @forge/kvs and @forge/sql on the emulator (SQL on a real,
// private MariaDB). Each `create` is a fresh installation; `again` is a new deploy on the same storage.
import { createKvsFaults as createKvsFaultsSync, createKvsFetch, createRealClock, createRealtimeBackend, createRealtimeHub, createSqlFetch, routeForgeFetch, type ForgeFetch, type KvsFetch, type RealtimeHub, type SqlExecutor, type SqlFetch, type SqlFetchOptions } from '@bgstore/emulator';
import { createMysqlExecutor, findMariaDb, startMariaDb, type MariaDbServer } from '@bgstore/emulator/node';
import { DOC_ENTITY_DECLARATION, type RegisteredStore, type RegisterStoresOptions } from '../src';
import { sqlStorage } from '../src/sql';
import { resolverCall, type Caller } from './harness';

type Call = (functionKey: string, payload: unknown, caller?: Caller) => Promise<Record<string, unknown>>;

/** A write request as a fault sees it. */
export type WriteFilter = (text: string) => boolean;

/** One installation of bgstore on one backend. */
export interface Installation {
  call: Call;
  /** A new deploy (other definitions or options) on the same storage. */
  again(definitions: RegisteredStore[], options?: RegisterStoresOptions): Installation;
  /** Seeded random failures, throttling and lost responses on every storage request (undefined: none). */
  setRandomFaults(faults: { seed: number; failRate?: number; rateLimitRate?: number; lostResponseRate?: number } | undefined): void;
  /** The next `n` commits' writes matching `filter` land but their answers are lost. */
  loseWrites(filter: WriteFilter, n: number): void;
  /** Commits' writes matching `filter` lose the race (nothing written) while `when()` holds. */
  loseRaces(filter: WriteFilter, when: () => boolean): void;
  /** Records bgstore holds in storage (KVS keys; SQL rows of its tables). */
  stored(): Promise<number>;
  /** The emulated Forge SQL service of a SQL installation (stats, the database). */
  sqlFetch?: SqlFetch;
  /** Entries waiting in inboxes. */
  inboxed(): Promise<number>;
  /** Lets go of the installation's connections (the rest go after each test). */
  close(): Promise<void>;
  /** Commit writes since the last call (KVS transactions; SQL inserts of log rows). */
  commitWrites(): number;
  /** The installation's Forge Realtime, where the resolver publishes (global channels: `installation-1|global`). */
  realtime: RealtimeHub;
}

/** A backend under test. */
export interface BackendKind {
  name: 'kvs' | 'sql';
  /** Whether it can run here; a reason to skip when not (CI requires every backend). */
  unavailable(): string | undefined;
  beforeAll(): Promise<void>;
  afterAll(): Promise<void>;
  afterEach(): Promise<void>;
  create(definitions: RegisteredStore[], options?: RegisterStoresOptions): Promise<Installation>;
  /** An installation whose storage is not set up for bgstore. */
  misconfigured(definitions: RegisteredStore[]): Promise<Installation>;
}

/** The installation's resolver, with `fetch` as the Forge runtime's storage, and `realtime` its Realtime, for each call. */
function resolverCallOn(definitions: RegisteredStore[], options: RegisterStoresOptions, fetch: ForgeFetch, realtime: RealtimeHub): Call {
  const call = resolverCall(definitions, options);
  const routed = createRealtimeBackend({ hub: realtime, installation: INSTALLATION, clock: createRealClock() }).route(fetch);
  return (functionKey, payload, caller) => {
    const runtime = globalThis as { __forge_fetch__?: unknown; __forge_runtime__?: unknown };
    runtime.__forge_fetch__ = routed;
    // (A test may be another installation meanwhile: it sets its own.)
    runtime.__forge_runtime__ ??= { appContext: { installationId: INSTALLATION } };
    return call(functionKey, payload, caller);
  };
}

const INSTALLATION = 'installation-1';

function kvsInstallation(kvs: KvsFetch, definitions: RegisteredStore[], options: RegisterStoresOptions, realtime = createRealtimeHub()): Installation {
  let counted = kvs.stats().writes;
  return {
    call: resolverCallOn(definitions, options, kvs, realtime),
    again: (defs, opts = {}) => kvsInstallation(kvs, defs, opts, realtime),
    realtime,
    setRandomFaults(faults) {
      kvs.setFaults(faults && createKvsFaultsSync(faults));
    },
    loseWrites(filter, n) {
      let left = n;
      kvs.setFaults(({ path, body }) => (path === '/api/v1/transaction' && left > 0 && filter(JSON.stringify(body)) && left-- ? { loseResponse: true } : undefined));
    },
    loseRaces(filter, when) {
      kvs.setFaults(({ path, body }) => (path === '/api/v1/transaction' && when() && filter(JSON.stringify(body)) ? { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'lost' } : undefined));
    },
    close: async () => undefined,
    stored: async () => kvs.inspect().filter((e) => !e.expired).length,
    inboxed: async () => kvs.inspect().filter((e) => e.key.includes(':in:')).length,
    commitWrites() {
      const now = kvs.stats().writes;
      const n = now - counted;
      counted = now;
      return n;
    },
  };
}

export const kvsBackend: BackendKind = {
  name: 'kvs',
  unavailable: () => undefined,
  beforeAll: async () => undefined,
  afterAll: async () => undefined,
  afterEach: async () => undefined,
  create: async (definitions, options = {}) => kvsInstallation(createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never] }), definitions, options),
  misconfigured: async (definitions) => kvsInstallation(createKvsFetch({ entities: [] }), definitions, {}),
};

const isLogInsert = (body: unknown) => typeof (body as { query?: unknown })?.query === 'string' && (body as { query: string }).query.startsWith('INSERT INTO bgstore_log');

function sqlInstallation(fetch: SqlFetch, definitions: RegisteredStore[], options: RegisterStoresOptions, realtime = createRealtimeHub()): Installation {
  const count = async (query: string) => {
    const out = await fetch.executor.run(query, [], { timeoutMs: 10_000 });
    return 'rows' in out ? Number(out.rows[0]?.n ?? 0) : 0;
  };
  let counted = fetch.stats().byKind.dml;
  return {
    call: resolverCallOn(definitions, { ...options, storage: options.storage ?? sqlStorage({ warmDocuments: options.warmDocuments }) }, routeForgeFetch({ sql: fetch }), realtime),
    again: (defs, opts = {}) => sqlInstallation(fetch, defs, opts, realtime),
    realtime,
    sqlFetch: fetch,
    close: () => fetch.executor.close(),
    setRandomFaults(faults) {
      fetch.setFaults(faults && createKvsFaultsSync(faults));
    },
    loseWrites(filter, n) {
      let left = n;
      fetch.setFaults(({ body }) => (isLogInsert(body) && left > 0 && filter(JSON.stringify(body)) && left-- ? { loseResponse: true } : undefined));
    },
    loseRaces(filter, when) {
      fetch.setFaults(({ body }) => (isLogInsert(body) && when() && filter(JSON.stringify(body)) ? { status: 400, code: 'SQL_EXECUTION_ERROR', message: 'Duplicate entry', debug: { errno: 1062, code: 'ER_DUP_ENTRY' } } : undefined));
    },
    stored: async () =>
      (await count('SELECT COUNT(*) AS n FROM bgstore_log').catch(() => 0)) + (await count('SELECT COUNT(*) AS n FROM bgstore_piece').catch(() => 0)) + (await count('SELECT COUNT(*) AS n FROM bgstore_inbox').catch(() => 0)),
    inboxed: () => count('SELECT COUNT(*) AS n FROM bgstore_inbox').catch(() => 0),
    commitWrites() {
      // Every DML request but the reads: inserts of log rows and pieces, inbox posts, deletes.
      const now = fetch.stats().byKind.dml;
      const n = now - counted;
      counted = now;
      return n;
    },
  };
}

/** Forge SQL on a private MariaDB, one database per installation; `service` configures the emulated Forge SQL (its clock, limits). */
export function sqlBackend(service: Omit<SqlFetchOptions, 'executor'> = {}): BackendKind {
  let server: MariaDbServer | undefined;
  const executors: SqlExecutor[] = [];
  const make = async () => {
    const executor = await createMysqlExecutor({ socketPath: server!.socketPath });
    executors.push(executor);
    return createSqlFetch({ ...service, executor });
  };
  return {
    name: 'sql',
    unavailable: () => (findMariaDb() || process.env.CI === 'true' ? undefined : 'MariaDB is not installed (apt-get install --no-install-recommends mariadb-server); CI requires it'),
    async beforeAll() {
      server = await startMariaDb();
    },
    async afterAll() {
      await server?.stop();
    },
    async afterEach() {
      await Promise.all(executors.splice(0).map((e) => e.close().catch(() => undefined)));
    },
    create: async (definitions, options = {}) => sqlInstallation(await make(), definitions, options),
    async misconfigured(definitions) {
      // Forge SQL not enabled for the app: the SQL service answers APP_NOT_ENABLED.
      const fetch = await make();
      const inst = sqlInstallation(fetch, definitions, {});
      const call = resolverCallOn(definitions, { storage: sqlStorage() }, routeForgeFetch({}), inst.realtime);
      return { ...inst, call };
    },
  };
}

/** `describe.each` over the backends, skipping (with a message) one that cannot run here. */
export function describeBackends(name: string, body: (backend: BackendKind) => void): void {
  for (const backend of [kvsBackend, sqlBackend()]) {
    const reason = backend.unavailable();
    if (reason) console.warn(`[bgstore] skipping "${name}" on ${backend.name}: ${reason}`);
    (reason ? describe.skip : describe)(`${name} [${backend.name}]`, () => {
      beforeAll(() => backend.beforeAll(), 60_000);
      afterAll(() => backend.afterAll(), 30_000);
      afterEach(() => backend.afterEach());
      body(backend);
    });
  }
}
