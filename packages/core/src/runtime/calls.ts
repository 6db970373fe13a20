import { SyncError } from '@bgstore/protocol';
import type { ActionCall, ActionRecipes, InferActions, StoreDefinition } from '../state/defineStore';
import { checkIntent } from '../state/runIntent';

interface Open {
  resolve(): void;
  reject(error: SyncError): void;
  resolveApplied(): void;
  rejectApplied(error: SyncError): void;
  applied: boolean;
}

/**
 * The promises behind action calls, the same for host and replica: `open(id)` makes the
 * {@link ActionCall}; `applied(id)` and `settle(id, error?)` are driven by the peer's state machine.
 */
export interface Calls {
  open(id: number): ActionCall;
  /** A call refused before it got an id (closed peer, or the call-site check failed). */
  refused(error: SyncError): ActionCall;
  applied(id: number): void;
  settle(id: number, error?: SyncError): void;
}

function makeCall(): { call: ActionCall; open: Open } {
  let open!: Open;
  const applied = new Promise<void>((resolveApplied, rejectApplied) => {
    const done = new Promise<void>((resolve, reject) => {
      open = { resolve, reject, resolveApplied, rejectApplied, applied: false };
    });
    (open as Open & { done: Promise<void> }).done = done;
  });
  // `applied` rejects with the call; an app that awaits only the call must not see an unhandled rejection.
  applied.catch(() => undefined);
  const call = (open as Open & { done: Promise<void> }).done as ActionCall;
  Object.defineProperty(call, 'applied', { value: applied, enumerable: true });
  return { call, open };
}

export function createCalls(): Calls {
  const open = new Map<number, Open>();
  return {
    open(id) {
      const { call, open: o } = makeCall();
      open.set(id, o);
      return call;
    },
    refused(error) {
      const { call, open: o } = makeCall();
      o.rejectApplied(error);
      o.reject(error);
      return call;
    },
    applied(id) {
      const o = open.get(id);
      if (!o || o.applied) return;
      o.applied = true;
      o.resolveApplied();
    },
    settle(id, error) {
      const o = open.get(id);
      if (!o) return;
      open.delete(id);
      if (error) {
        if (!o.applied) o.rejectApplied(error);
        o.reject(error);
      } else {
        if (!o.applied) o.resolveApplied();
        o.resolve();
      }
    },
  };
}

/**
 * A peer's typed action functions, the same for host and replica: a closed peer refuses at once
 * (`CLOSED`), a call the checks refuse (unknown action, non-JSON or oversize arguments, the
 * definition's validator) is refused at the call site, and any other call gets the next id, is
 * opened, and handed to `run` with a copy of its arguments (a caller mutating them later changes nothing).
 */
export function createActions<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  calls: Calls,
  peer: { closed(): string | undefined; nextId(): number; run(name: string, args: unknown[]): void },
): InferActions<TActions> {
  const actions = {} as Record<string, (...args: unknown[]) => ActionCall>;
  for (const name of Object.keys(definition.actions)) {
    actions[name] = (...args: unknown[]) => {
      const closed = peer.closed();
      if (closed) return calls.refused(new SyncError('CLOSED', closed));
      const refusal = checkIntent(definition, name, args);
      if (refusal) return calls.refused(new SyncError(refusal.code, refusal.message));
      const call = calls.open(peer.nextId());
      peer.run(name, JSON.parse(JSON.stringify(args)) as unknown[]);
      return call;
    };
  }
  return actions as InferActions<TActions>;
}
