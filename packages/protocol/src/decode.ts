import { SYNC_ERROR_CODES } from './errors';
import { PROTOCOL_VERSION, type Message, type WirePatch } from './messages';
import { isId, LIMITS } from './vocabulary';
import { unpackMessage, WireShapeError, type WireMessage } from './wire';

/** Why a received message was ignored; peers count these and never throw. */
export type IgnoreReason = 'not-bgstore' | 'other-protocol' | 'foreign-store' | 'malformed';

/** The result of {@link decodeMessage}. */
export type Decoded = { ok: true; message: Message } | { ok: false; reason: IgnoreReason; detail: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = isId;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= LIMITS.actionName;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isSeq = (v: unknown): v is number => isCount(v) && v > 0;

class Malformed extends Error {}

function check(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new Malformed(detail);
}

function assertPatch(p: unknown, i: number): asserts p is WirePatch {
  check(isObj(p), `patch ${i} is not an object`);
  check(p.op === 'add' || p.op === 'replace' || p.op === 'remove', `patch ${i} has op ${String(p.op)}`);
  check(Array.isArray(p.path) && p.path.every((k) => typeof k === 'string' || isCount(k)), `patch ${i} has a bad path`);
  check(p.op === 'remove' || 'value' in p, `patch ${i} has no value`);
}

const isPair = (a: unknown) => Array.isArray(a) && a.length === 2 && isStr(a[0]) && isSeq(a[1]);

function assertDurable(d: unknown, where: string): void {
  check(isObj(d) && isCount(d.revision) && isCount(d.unsaved) && typeof d.saving === 'boolean', `${where}.durable needs revision, unsaved, saving`);
  check(d.error === null || (isObj(d.error) && typeof d.error.code === 'string' && typeof d.error.message === 'string'), `${where}.durable.error must be null or {code, message}`);
}

function assertBody(m: Obj): void {
  const optionalTo = () => check(m.to === undefined || isStr(m.to), '`to` must be a string');
  switch (m.type) {
    case 'hello':
      check(m.epoch === null || isStr(m.epoch), 'hello.epoch must be a string or null');
      check(m.version === null || isCount(m.version), 'hello.version must be a count or null');
      check(m.fingerprint === undefined || isStr(m.fingerprint), 'hello.fingerprint must be a string');
      return;
    case 'intents':
      check(isSeq(m.settledBelow), 'intents.settledBelow must be a positive integer');
      check(Array.isArray(m.items) && m.items.length > 0, 'intents.items must be a non-empty array');
      m.items.forEach((it, i) => {
        check(isObj(it) && isSeq(it.seq) && isName(it.name) && Array.isArray(it.args), `intents.items[${i}] must be {seq, name, args[]}`);
      });
      return;
    case 'beat':
      check(isStr(m.epoch) && isCount(m.version), 'beat needs epoch and version');
      optionalTo();
      if (m.durable !== undefined) assertDurable(m.durable, 'beat');
      check(m.digest === undefined || isStr(m.digest), 'beat.digest must be a string');
      return;
    case 'snapshot':
      check(isStr(m.epoch) && isCount(m.version), 'snapshot needs epoch and version');
      check('state' in m && m.state !== undefined, 'snapshot needs state');
      optionalTo();
      if (m.durable !== undefined) assertDurable(m.durable, 'snapshot');
      check(m.fingerprint === undefined || isStr(m.fingerprint), 'snapshot.fingerprint must be a string');
      return;
    case 'status':
      check(isStr(m.epoch) && isCount(m.version), 'status needs epoch and version');
      assertDurable(m.durable, 'status');
      check(m.saved === undefined || (Array.isArray(m.saved) && m.saved.every(isPair)), 'status.saved must be [clientId, seq][]');
      return;
    case 'patch':
      check(isStr(m.epoch) && isCount(m.base) && isCount(m.next) && m.next > m.base, 'patch needs epoch and base < next');
      check(Array.isArray(m.patches), 'patch.patches must be an array');
      m.patches.forEach(assertPatch);
      check(m.acks === undefined || (Array.isArray(m.acks) && m.acks.every(isPair)), 'patch.acks must be [clientId, seq][]');
      optionalTo();
      return;
    case 'ack':
      check(isStr(m.to) && isStr(m.epoch) && isCount(m.version), 'ack needs to, epoch, version');
      check(Array.isArray(m.seqs) && m.seqs.every(isSeq), 'ack.seqs must be positive integers');
      check(m.saved === undefined || (Array.isArray(m.saved) && m.saved.every(isSeq)), 'ack.saved must be positive integers');
      return;
    case 'reject':
      check(isStr(m.to) && isSeq(m.seq), 'reject needs to and seq');
      check(typeof m.code === 'string' && (SYNC_ERROR_CODES as readonly string[]).includes(m.code), 'reject.code is not a SyncErrorCode');
      check(typeof m.message === 'string', 'reject.message must be a string');
      return;
    case 'chunk':
      check(isStr(m.id) && isCount(m.i) && isSeq(m.n) && m.i < m.n && typeof m.data === 'string', 'chunk needs id, i < n, data');
      optionalTo();
      return;
    default:
      check(false, `unknown message type ${JSON.stringify(m.type)}`);
  }
}

/**
 * Validates a received wire payload as a message of `store` and returns its object form. Never
 * throws: anything else comes back with the reason it is ignored.
 * @example
 * const d = decodeMessage(payload, 'board');
 * if (!d.ok) stats.ignored[d.reason]++;
 */
export function decodeMessage(raw: unknown, store: string): Decoded {
  if (isObj(raw) && 'bgstore' in raw) return { ok: false, reason: 'other-protocol', detail: `protocol ${String(raw.bgstore)}, expected ${PROTOCOL_VERSION}` };
  if (!Array.isArray(raw) || typeof raw[0] !== 'number') return { ok: false, reason: 'not-bgstore', detail: 'not a [version, store, type, from, …] array' };
  if (raw[0] !== PROTOCOL_VERSION) return { ok: false, reason: 'other-protocol', detail: `protocol ${raw[0]}, expected ${PROTOCOL_VERSION}` };
  if (raw[1] !== store) return { ok: false, reason: 'foreign-store', detail: `store ${JSON.stringify(raw[1])}` };
  try {
    check(typeof raw[2] === 'string', 'the type tag must be a string');
    check(isStr(raw[3]), 'the sender id must be a non-empty string');
    const message = unpackMessage(raw as WireMessage);
    assertBody(message as unknown as Obj);
    return { ok: true, message };
  } catch (error) {
    if (error instanceof Malformed || error instanceof WireShapeError) return { ok: false, reason: 'malformed', detail: error.message };
    throw error;
  }
}
