import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A private MariaDB server: its own data directory and socket, no network. */
export interface MariaDbServer {
  readonly socketPath: string;
  readonly dir: string;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Where the MariaDB binaries are, or `undefined` when MariaDB is not installed. */
export function findMariaDb(): { mariadbd: string; installDb: string } | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
  const find = (name: string) => dirs.filter((d) => d !== '').map((d) => join(d, name)).find((p) => existsSync(p));
  const mariadbd = find('mariadbd');
  const installDb = find('mariadb-install-db');
  return mariadbd && installDb ? { mariadbd, installDb } : undefined;
}

/** Servers not yet stopped, and their directories. */
const running = new Map<ChildProcess, string>();
const killAll = () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
};
let guarded = false;
/**
 * A run that exits or is stopped without stopping its servers must not leave them behind; a signal
 * is passed on after (with no other listener, Node's default: exit). Set up on the first start only.
 */
function guard(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Waits (on the host's timers: this is process plumbing, not emulated time) until `check` holds. */
async function waitFor(check: () => boolean, ms: number, what: () => string): Promise<void> {
  for (let waited = 0; !check(); waited += 25) {
    if (waited >= ms) throw new Error(`[emulator] MariaDB did not ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Starts a private MariaDB in a fresh temporary directory (`--skip-networking`, a Unix socket,
 * root without a password), for tests and the bench. Always `stop()` it.
 * @throws when MariaDB is not installed (check with {@link findMariaDb} first) or does not start.
 */
export async function startMariaDb(options: { startTimeoutMs?: number } = {}): Promise<MariaDbServer> {
  const bins = findMariaDb();
  if (!bins) throw new Error('[emulator] MariaDB is not installed (mariadbd, mariadb-install-db); apt-get install mariadb-server');
  const dir = mkdtempSync(join(tmpdir(), 'bgstore-mariadb-'));
  const data = join(dir, 'data');
  const socketPath = join(dir, 'sock');
  const errLog = join(dir, 'err.log');
  // Its own temporary directory: servers bootstrapping side by side in /tmp collided on the
  // temporary tables' names (two `npm test` runs at once).
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const init = spawnSync(bins.installDb, ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db', `--tmpdir=${tmp}`], { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`[emulator] mariadb-install-db failed: ${init.stderr || init.stdout}`);
  }
  const args = ['--no-defaults', `--datadir=${data}`, `--socket=${socketPath}`, '--skip-networking', '--user=root', `--pid-file=${join(dir, 'pid')}`, `--log-error=${errLog}`, `--tmpdir=${tmp}`, '--innodb-buffer-pool-size=64M', '--max-connections=200'];
  guard();
  const child = spawn(bins.mariadbd, args, { stdio: 'ignore' });
  running.set(child, dir);
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void gone.then(() => {
    exited = true;
    running.delete(child);
  });
  const log = () => (existsSync(errLog) ? readFileSync(errLog, 'utf8').slice(-2000) : '(no log)');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) child.kill('SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([gone, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    if (!exited) child.kill('SIGKILL');
    await gone;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Waits for the socket (or the exit); the limit only guards a hang: a loaded machine can take long.
    await waitFor(() => exited || existsSync(socketPath), options.startTimeoutMs ?? 120_000, () => `start: ${log()}`);
    if (exited) throw new Error(`[emulator] MariaDB exited at start: ${log()}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { socketPath, dir, stop };
}
