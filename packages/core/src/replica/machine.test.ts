// The replica's protocol, driven one event at a time: no timers, no bus, no promises.
import { PROTOCOL_VERSION, type Message } from '@bgstore/protocol';
import { board } from '../../test/board';
import type { ActionRecipes, StoreDefinition } from '../state/defineStore';
import { createReplicaMachine, nextWake, replicaTiming, step, type ReplicaEffect } from './machine';

const timing = replicaTiming({ intentTimeoutMs: 15_000, retryMs: 500, helloMinMs: 100, helloMaxMs: 5000, gapHoldMs: 100, hostSilenceMs: 6000 });
const E = '1000.host';
const env = { bgstore: PROTOCOL_VERSION, store: 'board', from: E, epoch: E } as const;
const state = { cards: [], count: 0, meta: { title: 'T' } };
const sent = (fx: ReplicaEffect[]) => fx.flatMap((e) => (e.type === 'send' ? [e.message.type] : []));

function live() {
  const m = createReplicaMachine(board as unknown as StoreDefinition<typeof state, ActionRecipes<typeof state>>, 'me', timing, () => 0.5);
  expect(sent(step(m, { type: 'start' }, 0))).toEqual(['hello']);
  step(m, { type: 'message', message: { ...env, type: 'snapshot', version: 3, state, to: 'me', durable: { revision: 1, unsaved: 0, saving: false, error: null } } }, 10);
  expect(m.phase).toBe('live');
  return m;
}
const patch = (base: number, patches: unknown[], acks?: [string, number][]): Message =>
  ({ ...env, type: 'patch', base, next: base + 1, patches, ...(acks ? { acks } : {}) }) as Message;

describe('replica machine', () => {
  it('says hello at start and retries it with backoff until answered', () => {
    const m = createReplicaMachine(board as never, 'me', timing, () => 0.5);
    step(m, { type: 'start' }, 0);
    expect(nextWake(m)).toBe(100);
    expect(sent(step(m, { type: 'tick' }, 100))).toEqual(['hello']);
    expect(nextWake(m)).toBe(300);
  });

  it('ignores a snapshot it did not ask for', () => {
    const m = live();
    step(m, { type: 'message', message: { ...env, type: 'snapshot', version: 99, state: { ...state, count: 99 }, to: 'me' } }, 20);
    expect(m.version).toBe(3);
    expect(m.counters.unasked).toBe(1);
  });

  it('holds an early patch, then asks the host after gapHoldMs', () => {
    const m = live();
    step(m, { type: 'message', message: patch(4, [{ op: 'replace', path: ['count'], value: 5 }]) }, 20);
    expect(m.held.size).toBe(1);
    expect(nextWake(m)).toBe(120);
    expect(sent(step(m, { type: 'tick' }, 120))).toEqual(['hello']);
    expect(m.phase).toBe('resyncing');
    step(m, { type: 'message', message: patch(3, [{ op: 'replace', path: ['count'], value: 4 }]) }, 130);
    expect(m.version).toBe(5);
    expect((m.confirmed as typeof state).count).toBe(5);
  });

  it('walks a call through queued → sent → applied → saved', () => {
    const m = live();
    const fx = step(m, { type: 'call', name: 'add', args: ['c1', 'one'] }, 20);
    expect(fx).toEqual([{ type: 'opened', seq: 1 }]); // its seq, reported; queued: it goes out with the next flush
    expect(m.calls.get(1)!.stage).toBe('queued');
    expect(sent(step(m, { type: 'flush' }, 20))).toEqual(['intents']);
    expect(m.calls.get(1)!.stage).toBe('sent');
    const applied = step(m, { type: 'message', message: patch(3, [{ op: 'replace', path: ['count'], value: 1 }], [['me', 1]]) }, 30);
    expect(applied).toContainEqual({ type: 'applied', seq: 1 });
    expect(m.calls.get(1)!.stage).toBe('applied');
    const saved = step(m, { type: 'message', message: { ...env, type: 'status', version: 4, durable: { revision: 2, unsaved: 0, saving: false, error: null }, saved: [['me', 1]] } }, 40);
    expect(saved).toContainEqual({ type: 'settled', seq: 1 });
    expect(m.calls.size).toBe(0);
  });

  it('times out a call the host never applied, and sends unapplied calls again every retryMs', () => {
    const m = live();
    step(m, { type: 'call', name: 'add', args: ['c1', 'one'] }, 0);
    step(m, { type: 'flush' }, 0);
    expect(sent(step(m, { type: 'tick' }, 500))).toEqual(['intents']);
    const fx = step(m, { type: 'tick' }, 15_000);
    expect(fx).toContainEqual({ type: 'settled', seq: 1, error: expect.objectContaining({ code: 'TIMEOUT' }) });
  });

  it('takes a reject only from the host boot it follows', () => {
    const m = live();
    step(m, { type: 'call', name: 'add', args: ['c1', 'one'] }, 0);
    step(m, { type: 'message', message: { bgstore: PROTOCOL_VERSION, store: 'board', from: 'other', type: 'reject', to: 'me', seq: 1, code: 'ACTION_FAILED', message: 'x' } }, 1);
    expect(m.calls.get(1)!.stage).toBe('queued');
    const fx = step(m, { type: 'message', message: { bgstore: PROTOCOL_VERSION, store: 'board', from: E, type: 'reject', to: 'me', seq: 1, code: 'ACTION_FAILED', message: 'x' } }, 2);
    expect(fx).toContainEqual({ type: 'settled', seq: 1, error: expect.objectContaining({ code: 'ACTION_FAILED' }) });
  });
});
