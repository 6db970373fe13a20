// Type tests: checked by `tsc -p tsconfig.json`, never run. Every `@ts-expect-error` must error.
import { createReplica, type SyncPhase, type Transport } from '@bgstore/core';
import { createStoreHooks, shallow, useActions, usePending, useReplica, useSyncStatus } from '.';
import { board, type Card } from '../../core/test/board';

declare const transport: Transport;
const replica = createReplica(board, { transport });

export function SelectsTypedState() {
  const title: string = useReplica(replica, (s) => s.meta.title);
  const cards: Card[] = useReplica(replica, (s) => s.cards);
  const whole: typeof board.initialState = useReplica(replica);
  const pair: { title: string; count: number } = useReplica(replica, (s) => ({ title: s.meta.title, count: s.count }), shallow);
  // @ts-expect-error the selected value is typed from the state
  const wrong: number = useReplica(replica, (s) => s.meta.title);
  // @ts-expect-error selectors see the real state shape
  useReplica(replica, (s) => s.missing);
  // @ts-expect-error the equality function compares selected values
  useReplica(replica, (s) => s.count, (a: string, b: string) => a === b);
  return [title, cards, whole, pair, wrong];
}

export function SelectsTypedStatus() {
  const phase: SyncPhase = useSyncStatus(replica, (s) => s.phase);
  const saving: boolean | undefined = useSyncStatus(replica, (s) => s.durable?.saving);
  const status = useSyncStatus(replica);
  const pending: number = status.pending;
  // @ts-expect-error the status has no such field
  useSyncStatus(replica, (s) => s.connected);
  // @ts-expect-error a phase is not a number
  const notNumber: number = useSyncStatus(replica, (s) => s.phase);
  return [phase, saving, pending, notNumber];
}

export function CallsTypedActions() {
  const { add, toggle, noop } = useActions(replica);
  const sent: Promise<void> = add('c1', 'title');
  void toggle('c1');
  void noop();
  // @ts-expect-error unknown action
  void useActions(replica).nope();
  // @ts-expect-error wrong argument type
  void add('c1', 2);
  // @ts-expect-error missing argument
  void add('c1');
  // @ts-expect-error extra argument
  void toggle('c1', true);
  // @ts-expect-error the draft is not an argument
  void noop({});
  return sent;
}

export function BindsHooks() {
  const hooks = createStoreHooks(replica);
  const count: number = hooks.useStore((s) => s.count);
  const version: number | null = hooks.useSyncStatus((s) => s.version);
  const call = hooks.actions.rename('New title');
  // An action call is a promise of its stored outcome, with the earlier moment beside it.
  const stored: Promise<void> = call;
  const applied: Promise<void> = call.applied;
  void stored;
  void applied;
  // @ts-expect-error `applied` is read-only
  call.applied = Promise.resolve();
  // @ts-expect-error selectors see the real state shape
  hooks.useStore((s) => s.missing);
  // @ts-expect-error wrong argument type
  void hooks.actions.rename(42);
  // @ts-expect-error unknown action
  void hooks.actions.delete('c1');
  return [count, version];
}

// #21 usePending: typed by the replica's actions.
export function PendingIsTyped() {
  const adds = usePending(replica, 'add');
  const title: string = adds[0]!.args[1];
  const any = usePending(replica);
  const names: string[] = any.map((c) => c.name);
  // @ts-expect-error a call of any action is not known to be an `add`
  const onlyAdd: 'add' = any[0]!.name;
  // @ts-expect-error not one of the store's actions
  usePending(replica, 'ad');
  // @ts-expect-error the arguments are typed per action
  const wrong: number = adds[0]!.args[1];
  const bound = createStoreHooks(replica).usePending('add');
  const boundTitle: string = bound[0]!.args[1];
  // @ts-expect-error not one of the store's actions, bound hooks too
  createStoreHooks(replica).usePending('ad');
  return [title, names, wrong, onlyAdd, boundTitle];
}
