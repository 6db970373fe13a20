import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyToState, assertOps, createKvsState, stateReader, type KvsBackend, type KvsOp, type KvsState } from '../kvs/store';

/** Options of {@link createFileKvsBackend}. */
export interface FileKvsBackendOptions {
  /** fsync after every commit. Turn off only for throwaway stores where speed matters more. @default true */
  fsync?: boolean;
  /** Rewrite the log as one snapshot once it holds this many commits more than live keys. @default 1000 */
  compactAfter?: number;
}

/** A {@link KvsBackend} persisted to a file. */
export interface FileKvsBackend extends KvsBackend {
  readonly path: string;
  /** Rewrites the log as a single snapshot (temp file, fsync, rename). */
  compact(): void;
}

// Format: an append-only log, one commit per line: `<crc32 hex> <json {v, ops}>\n`. JSON never
// contains a raw newline, so a line is a commit. A crash can only tear the last line; loading
// drops such a tail and truncates it away, so every commit that returned is kept.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function encodeLine(version: number, ops: readonly KvsOp[]): Buffer {
  const json = Buffer.from(JSON.stringify({ v: version, ops }), 'utf8');
  return Buffer.concat([Buffer.from(`${crc32(json).toString(16).padStart(8, '0')} `, 'latin1'), json, Buffer.from('\n', 'latin1')]);
}

function decodeLine(line: Buffer): { v: number; ops: KvsOp[] } | undefined {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (line.subarray(0, 8).toString('latin1') !== crc32(json).toString(16).padStart(8, '0')) return undefined;
  try {
    const rec = JSON.parse(json.toString('utf8')) as { v?: unknown; ops?: unknown };
    if (typeof rec.v !== 'number' || !Array.isArray(rec.ops)) return undefined;
    assertOps(rec.ops as KvsOp[]);
    return { v: rec.v, ops: rec.ops as KvsOp[] };
  } catch {
    return undefined;
  }
}

/** Replays a log into `state`; returns the byte length of its valid prefix and the commit count. */
function replay(file: string, buf: Buffer, state: KvsState): { goodBytes: number; commits: number } {
  let offset = 0;
  let commits = 0;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    if (nl < 0) break; // torn tail: a commit whose newline never reached the disk
    const rec = decodeLine(buf.subarray(offset, nl));
    if (!rec) {
      // A bad last line is a torn write too (the filesystem kept a garbage block); a bad line
      // followed by good ones is real corruption, and silently dropping commits would be worse.
      if (buf.subarray(nl + 1).some((b) => b !== 0 && b !== 0x0a)) {
        throw new Error(`[emulator] KVS file ${file} is corrupt at byte ${offset}; refusing to drop the commits after it`);
      }
      break;
    }
    applyToState(state, rec.ops);
    state.version = rec.v;
    commits++;
    offset = nl + 1;
  }
  return { goodBytes: offset, commits };
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let done = 0; done < buf.length; ) done += fs.writeSync(fd, buf, done, buf.length - done);
}

/**
 * Creates a {@link KvsBackend} stored in `file` (created, with its directory, if missing).
 * Every `apply` is appended and fsynced before it returns, so it survives a process crash;
 * loading is synchronous and recovers from a torn last write. One process per file.
 * @example
 * const backend = createFileKvsBackend(path.join(dir, 'kvs.log'));
 * const fetch = createKvsFetch({ backend });
 */
export function createFileKvsBackend(file: string, options: FileKvsBackendOptions = {}): FileKvsBackend {
  const doSync = options.fsync ?? true;
  const compactAfter = options.compactAfter ?? 1000;
  const state = createKvsState();
  let commits = 0;
  let size = 0;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (fs.existsSync(file)) {
    const buf = fs.readFileSync(file);
    const r = replay(file, buf, state);
    commits = r.commits;
    size = r.goodBytes;
    if (r.goodBytes < buf.length) fs.truncateSync(file, r.goodBytes);
  }
  let fd: number | undefined = fs.openSync(file, 'a');
  if (doSync) fsyncDir(path.dirname(file));

  const liveKeys = () => [...state.data.values()].reduce((n, ns) => n + ns.size, 0);
  const handle = () => {
    if (fd === undefined) throw new Error(`[emulator] KVS file backend ${file} is closed`);
    return fd;
  };

  const compact = () => {
    const current = handle();
    const ops: KvsOp[] = [];
    for (const [namespace, ns] of state.data) for (const [key, record] of ns) ops.push({ type: 'put', namespace, key, record });
    const line = encodeLine(state.version, ops);
    const tmp = `${file}.${process.pid}.tmp`;
    const tfd = fs.openSync(tmp, 'w');
    try {
      writeAll(tfd, line);
      fs.fsyncSync(tfd);
    } finally {
      fs.closeSync(tfd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(path.dirname(file));
    fs.closeSync(current);
    fd = fs.openSync(file, 'a');
    commits = 1;
    size = line.length;
  };

  return {
    ...stateReader(state),
    path: file,
    apply(ops) {
      assertOps(ops);
      if (ops.length === 0) return;
      const current = handle();
      const line = encodeLine(state.version + 1, ops);
      try {
        writeAll(current, line);
        if (doSync) fs.fsyncSync(current);
      } catch (e) {
        // Cut a partial append off so the next commit does not land behind garbage.
        try {
          fs.ftruncateSync(current, size);
        } catch {
          // Loading will drop the torn tail instead.
        }
        throw e;
      }
      size += line.length;
      applyToState(state, ops);
      commits++;
      if (commits > compactAfter + liveKeys()) compact();
    },
    compact,
    close() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}
