import { LIMITS, type ClientRecord } from '@bgstore/protocol';
import { commitIntents, emptyDoc } from '../durable';
import { board } from '../../test/board';

// #18.6: a commit's work on storage's client table is O(intents + its own caller's records),
// whatever the table holds. Work is counted, not timed: every question the table asks about whose
// a record is goes through `callers`, so counting those calls counts the records it touches.
const TABLE = { maxClients: LIMITS.clientsPerDoc, maxBytes: LIMITS.clientTableBytes, perCaller: LIMITS.clientsPerCaller, perCallerBytes: LIMITS.callerBytes, ttlMs: LIMITS.clientTtlMs, whenFull: 'refuse' } as const;

function countingCallers() {
  const count = { calls: 0 };
  const callers = {
    callerOf: (key: string) => (count.calls++, key.slice(0, key.lastIndexOf('|'))),
    isAnonymous: (key: string) => (count.calls++, key.startsWith('anon.')),
  };
  return { count, callers };
}

/** A table of `n` other callers' records (two refusals each, as a real table carries). */
function tableOf(n: number, now: number): Record<string, ClientRecord> {
  const out: Record<string, ClientRecord> = {};
  for (let i = 0; i < n; i++) out[`a.user${i}|tab${i}`] = { floor: 3, seqs: [5], rejected: [[4, 'ACTION_FAILED', 'no card x']], seen: now - i };
  return out;
}

describe('the client table’s work per commit (#18.6)', () => {
  it.each([2_500, 10_000])('#18.6 a 1,000-intent commit of refusals from fresh client ids against %i records touches only the caller’s records', (records) => {
    const now = 1_000_000;
    const doc = { ...emptyDoc(board), clients: tableOf(records, now) };
    const refusals = Array.from({ length: 1000 }, (_, i) => ({ clientId: `a.mallory|fresh${i}`, seq: 1, name: 'add', args: [], refused: { code: 'BAD_REQUEST' as const, message: 'x'.repeat(200) } }));
    const { count, callers } = countingCallers();
    const { doc: after, outcomes } = commitIntents(board, doc, refusals, { now, table: { ...TABLE, callers } });
    // Behaviour unchanged: the caller keeps at most its quota, nobody else loses a record.
    expect(outcomes).toHaveLength(1000);
    const mine = Object.keys(after.clients).filter((k) => k.startsWith('a.mallory|'));
    expect(mine.length).toBeLessThanOrEqual(LIMITS.clientsPerCaller);
    expect(Object.keys(after.clients).length - mine.length).toBe(records);
    // One look at each record to index it, then a bounded few per intent (the caller has ≤ 32).
    expect(count.calls).toBeLessThanOrEqual(2 * records + 1000 * (4 + 2 * LIMITS.clientsPerCaller));
  });

  it('#18.6 keeps the untouched records of the table as they were read (no copy to diff against)', () => {
    const doc = { ...emptyDoc(board), clients: tableOf(50, 10) };
    const { doc: after } = commitIntents(board, doc, [{ clientId: 'a.me|tab', seq: 1, name: 'add', args: ['c', 'C'] }], { now: 20, table: TABLE });
    expect(after.clients['a.user7|tab7']).toBe(doc.clients['a.user7|tab7']);
    expect(after.clients['a.me|tab']).toMatchObject({ floor: 1, seen: 20 });
  });
});
