// Type tests (checked by `npm run typecheck`, never run).
import { createReplica, type Transport } from '@bgstore/core';
import { createStoreHooks, useActions, useReplica, useSyncStatus } from '../src';
import { board } from '../../core/test/board';

declare const transport: Transport;
const replica = createReplica(board, { transport });

export function Component() {
  const title: string = useReplica(replica, (s) => s.meta.title);
  const phase: 'connecting' | 'live' | 'resyncing' | 'closed' = useSyncStatus(replica, (s) => s.phase);
  const { add } = useActions(replica);
  void add('c1', 'title');
  // @ts-expect-error the selected value is typed from the state
  const wrong: number = useReplica(replica, (s) => s.meta.title);
  // @ts-expect-error unknown action
  void useActions(replica).nope();
  // @ts-expect-error wrong argument type
  void add('c1', 2);
  const hooks = createStoreHooks(replica);
  // @ts-expect-error selector over the real state shape
  hooks.useStore((s) => s.missing);
  return [title, phase, wrong];
}
