// A host's storage effects performed: each call's answer (or failure) comes back to the machine as
// an event, never awaited by it.
import type { Persistence } from '../runtime/ports';
import type { HostEffect, HostEvent } from './machine';

/** Performs a storage effect and feeds its answer back as an event. */
export function callStorage<TState>(persistence: Persistence<TState>, e: Extract<HostEffect, { type: 'load' | 'commit' | 'check-revision' }>, run: (event: HostEvent) => void) {
  const io = <T>(call: () => Promise<T>, ok: (value: T) => HostEvent, failed: (error: unknown) => HostEvent) =>
    void Promise.resolve()
      .then(call)
      .then(
        (value) => run(ok(value)),
        (error: unknown) => run(failed(error)),
      );
  if (e.type === 'load') io(() => persistence.load(), (doc) => ({ type: 'loaded', doc: doc as never }), (error) => ({ type: 'load-failed', error }));
  else if (e.type === 'commit') io(() => persistence.commit(e.batch), (result) => ({ type: 'committed', result: result as never }), (error) => ({ type: 'commit-failed', error }));
  else if (persistence.sync) {
    const { since } = e;
    io(() => persistence.sync!(since), (answer) => ({ type: 'synced', since, answer: answer as never }), (error) => ({ type: 'revision-failed', error }));
  } else io(async () => (persistence.revision ? persistence.revision() : (await persistence.load()).revision), (revision) => ({ type: 'revision', revision }), (error) => ({ type: 'revision-failed', error }));
}
