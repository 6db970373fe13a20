// What a UI Kit feed module needs of bgstore and nothing else: a store, `connect`, the hooks.
// `npm run size` bundles it for bgstore's share of a feed (the target: ≤ 7 KB min+gzip).
import { defineStore } from '@bgstore/core';
import { connect } from '@bgstore/forge';
import { useActions, useReplica, useSyncStatus } from '@bgstore/react';

const counter = defineStore({ name: 'counter', initialState: { n: 0 }, actions: { inc: (draft) => void draft.n++ } });
const replica = connect(counter);

export function Counter() {
  const n = useReplica(replica, (s) => s.n);
  const phase = useSyncStatus(replica, (s) => s.phase);
  const { inc } = useActions(replica);
  return { n, phase, inc };
}
