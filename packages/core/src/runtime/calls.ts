import type { SyncError } from '@bgstore/protocol';
import type { ActionCall } from '../state/defineStore';

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
