// The host's protocol, driven one event at a time: no timers, no bus, no storage calls.
import { PROTOCOL_VERSION, RETRY_POLICIES, SyncError, type Message } from '@bgstore/protocol';
import { board } from '../../test/board';
import { createHostMachine, nextWake, step, type HostEffect } from './machine';

const timing = { heartbeatMs: 2000, digestMs: 10_000, logEntries: 256, logBytes: 1_000_000, snapshotBurst: 2, snapshotsPerSecond: 4, flushDelayMs: 200, maxCommitGapMs: 2000, retry: { storage: RETRY_POLICIES.storage, busy: RETRY_POLICIES.storageBusy, recheck: RETRY_POLICIES.revisionRecheck, throttled: RETRY_POLICIES.rateLimited, throttleReset: RETRY_POLICIES.rateLimitReset }, revisionCheckMs: 30_000, maxBatchIntents: 500, maxBatchBytes: 450_000 };
const env = { bgstore: PROTOCOL_VERSION, store: 'board' } as const;
const types = (fx: HostEffect[]) => fx.map((e) => (e.type === 'send' ? `send:${e.message.type}` : e.type));
const hello = (from: string, epoch: string | null = null, version: number | null = null, fingerprint?: string): Message => ({ ...env, from, type: 'hello', epoch, version, ...(fingerprint ? { fingerprint } : {}) });

describe('host machine', () => {
  it('loads before it serves: hellos wait, then are answered', () => {
    const m = createHostMachine(board as never, '1.h', timing, true, 0, () => 0.5);
    expect(types(step(m, { type: 'start' }, 0))).toEqual(['load']);
    expect(step(m, { type: 'message', message: hello('a') }, 1)).toEqual([]);
    const fx = step(m, { type: 'loaded', doc: { revision: 4, state: { cards: [], count: 7, meta: { title: 'T' } }, clients: {} } as never }, 2);
    expect(types(fx)).toEqual(['send:beat', 'send:snapshot']);
    expect((m.state as { count: number }).count).toBe(7);
  });

  it('answers a hello at its version with a beat, from its log with a patch, else with a snapshot', () => {
    const m = createHostMachine(board as never, '1.h', timing, false, 0, () => 0.5);
    step(m, { type: 'start' }, 0);
    step(m, { type: 'message', message: { ...env, from: 'a', type: 'intents', settledBelow: 1, items: [{ seq: 1, name: 'add', args: ['c1', 'one'] }] } }, 1);
    expect(m.version).toBe(1);
    expect(types(step(m, { type: 'message', message: hello('a', '1.h', 1, board.fingerprint) }, 2))).toEqual(['send:beat']);
    expect(types(step(m, { type: 'message', message: hello('b', '1.h', 0) }, 3))).toEqual(['send:patch']);
    expect(types(step(m, { type: 'message', message: hello('c') }, 4))).toEqual(['send:snapshot']);
  });

  it('rate-limits snapshots and answers the deferred askers as the budget refills', () => {
    const m = createHostMachine(board as never, '1.h', timing, false, 0, () => 0.5);
    step(m, { type: 'start' }, 0);
    const answered = ['a', 'b', 'c', 'd'].flatMap((id) => types(step(m, { type: 'message', message: hello(id) }, 1)));
    expect(answered).toEqual(['send:snapshot', 'send:snapshot']);
    expect(m.deferred.size).toBe(2);
    expect(nextWake(m)).toBe(251); // one snapshot's worth of budget after the burst was spent at 1 ms
    expect(types(step(m, { type: 'tick' }, 251))).toContain('send:snapshot');
  });

  it('commits accepted intents after the debounce and settles its own call once stored', () => {
    const m = createHostMachine(board as never, '1.h', timing, true, 0, () => 0.5);
    step(m, { type: 'start' }, 0);
    step(m, { type: 'loaded', doc: { revision: 0, state: board.initialState, clients: {} } as never }, 0);
    expect(types(step(m, { type: 'call', name: 'add', args: ['c1', 'one'] }, 10))).toEqual(['opened', 'durable', 'send:status', 'send:patch', 'changed', 'applied']);
    expect(nextWake(m)).toBe(210); // the commit and the first trailing beat
    const commit = step(m, { type: 'tick' }, 210).find((e) => e.type === 'commit');
    expect(commit).toMatchObject({ batch: { baseRevision: 0, intents: [{ clientId: '1.h', seq: 1, name: 'add' }] } });
    const fx = step(m, { type: 'committed', result: { revision: 1, outcomes: [{ clientId: '1.h', seq: 1, ok: true }] } as never }, 250);
    expect(fx).toContainEqual({ type: 'settled', seq: 1 });
  });

  it('does not drop a revision hint that arrives while a check is in flight: it checks again soon', () => {
    const m = createHostMachine(board as never, '1.h', { ...timing, revisionCheckMs: 30_000 }, true, 0, () => 0.5);
    step(m, { type: 'start' }, 0);
    step(m, { type: 'loaded', doc: { revision: 3, state: board.initialState, clients: {} } as never }, 0);
    expect(types(step(m, { type: 'check-revision' }, 100))).toContain('check-revision');
    expect(step(m, { type: 'check-revision' }, 150)).toEqual([]); // one in flight: remembered, not sent twice
    step(m, { type: 'revision', revision: 3 }, 180);
    expect(m.check!.at).toBe(380);
    expect(types(step(m, { type: 'tick' }, 380))).toContain('check-revision');
  });

  it('#17.5 holds a batch refused RATE_LIMITED until the window reopens, coalesces what comes meanwhile, and says until when', () => {
    const m = createHostMachine(board as never, '1.h', timing, true, 0, () => 0.5);
    step(m, { type: 'start' }, 0);
    step(m, { type: 'loaded', doc: { revision: 0, state: board.initialState, clients: {} } as never }, 0);
    step(m, { type: 'call', name: 'add', args: ['c1', 'one'] }, 10);
    expect(step(m, { type: 'tick' }, 210).find((e) => e.type === 'commit')).toBeDefined();
    // The window reopens in 42 s; the host waits that plus up to a second (0.5 here).
    const fx = step(m, { type: 'commit-failed', error: new SyncError('RATE_LIMITED', 'spent', { retryAfterMs: 42_000 }) }, 250);
    const status = fx.find((e) => e.type === 'send' && e.message.type === 'status');
    expect(status).toMatchObject({ message: { durable: { unsaved: 1, saving: false, error: { code: 'RATE_LIMITED' }, throttledUntil: 42_750 } } });
    expect(fx.some((e) => e.type === 'settled')).toBe(false);
    step(m, { type: 'call', name: 'add', args: ['c2', 'two'] }, 1000);
    // Neither a forced save (the page hidden) nor a revision check goes before then.
    expect(types(step(m, { type: 'flush' }, 2000))).not.toContain('commit');
    expect(types(step(m, { type: 'check-revision' }, 3000))).not.toContain('check-revision');
    expect(nextWake(m)).toBeGreaterThanOrEqual(2000);
    const at = step(m, { type: 'tick' }, 42_750);
    expect(at.find((e) => e.type === 'commit')).toMatchObject({ batch: { intents: [{ seq: 1 }, { seq: 2 }] } });
    const done = step(m, { type: 'committed', result: { revision: 1, outcomes: [{ clientId: '1.h', seq: 1, ok: true }, { clientId: '1.h', seq: 2, ok: true }] } as never }, 42_800);
    expect(done.find((e) => e.type === 'send' && e.message.type === 'status')).toMatchObject({ message: { durable: { unsaved: 0, error: null } } });
    expect(m.save!.throttledUntil).toBeUndefined();
  });

  it('#17.5 without a reset time, waits at most 4 s between tries', () => {
    const m = createHostMachine(board as never, '1.h', timing, true, 0, () => 0.99);
    step(m, { type: 'start' }, 0);
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      step(m, { type: 'load-failed', error: new SyncError('RATE_LIMITED', 'spent') }, now);
      waits.push(m.loadAt! - now);
      now = m.loadAt!;
      expect(types(step(m, { type: 'tick' }, now))).toContain('load');
    }
    expect(Math.max(...waits)).toBeLessThanOrEqual(4000);
    expect(waits[0]).toBeLessThan(waits[2]!);
  });
});
