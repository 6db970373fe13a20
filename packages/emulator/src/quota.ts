import type { Clock } from './clock';
import { admit as admitOn, counter, roll, view, type Counter, type QuotaDecision, type QuotaName, type QuotaWindow } from './quotaWindow';

export type { QuotaDecision, QuotaName, QuotaWindow } from './quotaWindow';

/**
 * Forge's per-installation quotas (developer.atlassian.com: limits-kvs-ce, limits-invocation,
 * limits-realtime). Every page of every user of one installation draws from the same budget.
 */
export interface ForgeQuotas {
  /** KVS + custom entity store requests per second. @default 1000 */
  kvsRequestsPerSecond: number;
  /** KVS read units per minute. @default 4000 */
  kvsReadUnitsPerMinute: number;
  /** KVS write units per minute. @default 4000 */
  kvsWriteUnitsPerMinute: number;
  /** Bytes of one KVS unit; a request's size is rounded up to whole units, at least 1. @default 10_240 */
  kvsUnitBytes: number;
  /** Function invocations per second. @default 300 */
  invocationsPerSecond: number;
  /** Function invocations per minute. @default 7000 */
  invocationsPerMinute: number;
  /** Function invocations per user (accountId) per minute. @default 1200 */
  userInvocationsPerMinute: number;
  /** Realtime operations (subscribe + publish + token signing) per second. @default 50 */
  realtimeOpsPerSecond: number;
}

/** Forge's documented quotas. */
export const FORGE_QUOTAS: ForgeQuotas = {
  kvsRequestsPerSecond: 1000,
  kvsReadUnitsPerMinute: 4000,
  kvsWriteUnitsPerMinute: 4000,
  kvsUnitBytes: 10_240,
  invocationsPerSecond: 300,
  invocationsPerMinute: 7000,
  userInvocationsPerMinute: 1200,
  realtimeOpsPerSecond: 50,
};

/** What an installation has used, since the meter was made or last reset, and in its current windows. */
export interface QuotaSnapshot {
  enforcing: boolean;
  totals: {
    kvsRequests: number;
    kvsReads: number;
    kvsWrites: number;
    kvsReadUnits: number;
    kvsWriteUnits: number;
    invocations: number;
    realtimeOps: number;
  };
  /** Requests refused, by the quota that refused them. */
  throttled: Partial<Record<QuotaName, number>>;
  /** The current windows; a user's window appears once that user has invoked. */
  windows: {
    kvsRequests: QuotaWindow;
    kvsReadUnits: QuotaWindow;
    kvsWriteUnits: QuotaWindow;
    invocationsPerSecond: QuotaWindow;
    invocationsPerMinute: QuotaWindow;
    realtimeOps: QuotaWindow;
    users: Record<string, QuotaWindow>;
  };
}

/** The `rateLimitProperties` Forge returns with `invoke(key, payload, {rateLimitProperties: true})`. */
export interface RateLimitProperties {
  rateLimitRemaining: number;
  /** Emulator-clock epoch ms when the binding window resets. */
  rateLimitReset: number;
  rateLimitLimit: number;
}

/**
 * Counts what one installation uses and, when enforcing, refuses what goes over a quota. Windows
 * are fixed and aligned on the emulator's clock (second `[k·1000, (k+1)·1000)`, minute likewise):
 * Forge does not document whether its windows are fixed or sliding. A refused request is counted
 * in `throttled` and charges nothing.
 */
export interface QuotaMeter {
  readonly limits: ForgeQuotas;
  readonly enforcing: boolean;
  /** Turns refusing on or off; counting goes on either way. */
  setEnforcing(on: boolean): void;
  /** Admits a KVS write of `bytes` request-body bytes and charges it, or refuses it. */
  kvsWrite(bytes: number): QuotaDecision;
  /** Admits a KVS read (its size is known only from the answer: charge it with {@link QuotaMeter.chargeRead}). */
  kvsRead(): QuotaDecision;
  /** Charges an admitted read its answer's `bytes`; a read admitted under the limit may end over it. */
  chargeRead(bytes: number): void;
  /** Admits and charges one function invocation by `accountId` (`undefined`: anonymous). */
  invocation(accountId: string | undefined): QuotaDecision;
  /** What the invocation windows leave `accountId`, the tightest of installation and user windows. */
  rateLimitProperties(accountId: string | undefined): RateLimitProperties;
  /** Admits and charges one Realtime operation. */
  realtime(op: 'subscribe' | 'publish' | 'sign'): QuotaDecision;
  snapshot(): QuotaSnapshot;
  /** Zeroes totals and throttled counts (the current windows stay). */
  resetTotals(): void;
}

/** Options of {@link createQuotaMeter}. */
export interface QuotaMeterOptions {
  clock: Clock;
  /** Overrides of Forge's quotas. */
  limits?: Partial<ForgeQuotas>;
  /** Refuse requests over a quota (429); when false the meter only counts. @default true */
  enforce?: boolean;
}

/**
 * Creates the quota meter of one installation.
 * @example
 * const meter = createQuotaMeter({ clock });
 * meter.invocation('user-1'); // { ok: true }
 * meter.snapshot().windows.invocationsPerSecond; // { used: 1, limit: 300, resetsAt: 1000 }
 */
export function createQuotaMeter(options: QuotaMeterOptions): QuotaMeter {
  const { clock } = options;
  const limits: ForgeQuotas = { ...FORGE_QUOTAS, ...options.limits };
  let enforcing = options.enforce ?? true;
  const c = installationCounters(limits);
  const users = new Map<string, Counter>();
  let totals = emptyTotals();
  let throttled: QuotaSnapshot['throttled'] = {};
  const units = (bytes: number) => Math.max(1, Math.ceil(bytes / limits.kvsUnitBytes));
  const userCounter = (accountId: string | undefined) => userCounterOf(users, accountId, limits.userInvocationsPerMinute);

  const admit = (checks: [QuotaName, Counter, number][]) => admitOn(checks, clock.now(), enforcing, throttled);

  return {
    limits,
    get enforcing() {
      return enforcing;
    },
    setEnforcing(on) {
      enforcing = on;
    },
    kvsWrite(bytes) {
      const cost = units(bytes);
      const d = admit([['kvsRequests', c.kvsRequests, 1], ['kvsWriteUnits', c.kvsWriteUnits, cost]]);
      if (d.ok) {
        totals.kvsRequests++;
        totals.kvsWrites++;
        totals.kvsWriteUnits += cost;
      }
      return d;
    },
    kvsRead() {
      // Room for at least one unit; the answer's real size is charged after (chargeRead).
      const d = admit([['kvsRequests', c.kvsRequests, 1], ['kvsReadUnits', c.kvsReadUnits, 1]]);
      if (d.ok) {
        c.kvsReadUnits.used -= 1;
        totals.kvsRequests++;
        totals.kvsReads++;
      }
      return d;
    },
    chargeRead(bytes) {
      const cost = units(bytes);
      roll(c.kvsReadUnits, clock.now()).used += cost;
      totals.kvsReadUnits += cost;
    },
    invocation(accountId) {
      const d = admit([['invocationsPerSecond', c.invocationsPerSecond, 1], ['invocationsPerMinute', c.invocationsPerMinute, 1], ['userInvocations', userCounter(accountId), 1]]);
      if (d.ok) totals.invocations++;
      return d;
    },
    rateLimitProperties(accountId) {
      const now = clock.now();
      const windows = [c.invocationsPerSecond, c.invocationsPerMinute, userCounter(accountId)].map((k) => view(k, now));
      const tightest = windows.reduce((a, b) => (b.limit - b.used < a.limit - a.used ? b : a));
      return { rateLimitRemaining: Math.max(0, tightest.limit - tightest.used), rateLimitReset: tightest.resetsAt, rateLimitLimit: tightest.limit };
    },
    realtime() {
      const d = admit([['realtimeOps', c.realtimeOps, 1]]);
      if (d.ok) totals.realtimeOps++;
      return d;
    },
    snapshot() {
      const now = clock.now();
      return {
        enforcing,
        totals: { ...totals },
        throttled: { ...throttled },
        windows: { ...installationWindows(c, now), users: Object.fromEntries([...users].map(([user, k]) => [user, view(k, now)])) },
      };
    },
    resetTotals() {
      totals = emptyTotals();
      throttled = {};
    },
  };
}

const emptyTotals = (): QuotaSnapshot['totals'] => ({ kvsRequests: 0, kvsReads: 0, kvsWrites: 0, kvsReadUnits: 0, kvsWriteUnits: 0, invocations: 0, realtimeOps: 0 });

/** The user's own per-minute invocation window, made on first use; anonymous callers share one. */
function userCounterOf(users: Map<string, Counter>, accountId: string | undefined, limit: number): Counter {
  const key = accountId ?? 'anonymous';
  let u = users.get(key);
  if (!u) users.set(key, (u = counter(60_000, limit)));
  return u;
}

/** The installation-wide windows (a user's own invocation window is made on first use). */
function installationCounters(limits: ForgeQuotas) {
  return {
    kvsRequests: counter(1000, limits.kvsRequestsPerSecond),
    kvsReadUnits: counter(60_000, limits.kvsReadUnitsPerMinute),
    kvsWriteUnits: counter(60_000, limits.kvsWriteUnitsPerMinute),
    invocationsPerSecond: counter(1000, limits.invocationsPerSecond),
    invocationsPerMinute: counter(60_000, limits.invocationsPerMinute),
    realtimeOps: counter(1000, limits.realtimeOpsPerSecond),
  };
}

function installationWindows(c: ReturnType<typeof installationCounters>, now: number): Omit<QuotaSnapshot['windows'], 'users'> {
  return {
    kvsRequests: view(c.kvsRequests, now),
    kvsReadUnits: view(c.kvsReadUnits, now),
    kvsWriteUnits: view(c.kvsWriteUnits, now),
    invocationsPerSecond: view(c.invocationsPerSecond, now),
    invocationsPerMinute: view(c.invocationsPerMinute, now),
    realtimeOps: view(c.realtimeOps, now),
  };
}

/** A request refused by a quota: Forge's 429 `RATE_LIMIT_EXCEEDED`. */
export class QuotaExceededError extends Error {
  readonly code = 'RATE_LIMIT_EXCEEDED';
  readonly status = 429;
  readonly quota: QuotaName;
  /** Emulator-clock time (ms) when the refusing window resets. */
  readonly resetsAt: number;
  constructor(refusal: Extract<QuotaDecision, { ok: false }>, what: string) {
    super(`${what} - 429 Too Many Requests: ${refusal.quota} quota of ${refusal.limit} exceeded; the window resets at ${refusal.resetsAt}`);
    this.name = 'QuotaExceededError';
    this.quota = refusal.quota;
    this.resetsAt = refusal.resetsAt;
  }
}
