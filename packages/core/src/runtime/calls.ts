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
 * The promises behind action calls, the same for host and replica: `open(seq)` makes the
 * {@link ActionCall} once the peer's state machine gave the call its seq; `applied(seq)` and
 * `settle(seq, error?)` are driven by the machine too.
 */
export interface Calls {
  open(seq: number): ActionCall;
  /** A call refused before it got a seq (closed peer, or the call-site check failed). */
  refused(error: SyncError): ActionCall;
  applied(seq: number): void;
  settle(seq: number, error?: SyncError): void;
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
    open(seq) {
      const { call, open: o } = makeCall();
      open.set(seq, o);
      return call;
    },
    refused(error) {
      const { call, open: o } = makeCall();
      o.rejectApplied(error);
      o.reject(error);
      return call;
    },
    applied(seq) {
      const o = open.get(seq);
      if (!o || o.applied) return;
      o.applied = true;
      o.resolveApplied();
    },
    settle(seq, error) {
      const o = open.get(seq);
      if (!o) return;
      open.delete(seq);
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

const isObject = (value: unknown) => typeof value === 'object' && value !== null;

/**
 * A peer's typed action functions, the same for host and replica: a closed peer refuses at once
 * (`CLOSED`), a call the checks refuse (unknown action, non-JSON or oversize arguments, the
 * definition's validator) is refused at the call site, and any other call is handed to the peer's
 * `call` with a copy of its arguments (a caller mutating them later changes nothing); the peer's
 * machine gives it its seq and the peer opens it.
 */
export function createActions<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  calls: Calls,
  peer: { closed(): string | undefined; call(name: string, args: unknown[]): ActionCall },
): InferActions<TActions> {
  const actions = {} as Record<string, (...args: unknown[]) => ActionCall>;
  for (const name of Object.keys(definition.actions)) {
    actions[name] = (...args: unknown[]) => {
      const closed = peer.closed();
      if (closed) return calls.refused(new SyncError('CLOSED', closed));
      const refusal = checkIntent(definition, name, args);
      if (refusal) return calls.refused(new SyncError(refusal.code, refusal.message));
      // The rest array is this call's own: only objects in it could still be changed by the caller.
      return peer.call(name, args.some(isObject) ? (JSON.parse(JSON.stringify(args)) as unknown[]) : args);
    };
  }
  return actions as InferActions<TActions>;
}
