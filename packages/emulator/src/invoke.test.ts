import Resolver from '@forge/resolver';
import { createManualClock } from './clock';
import { createInvokeFaults, createInvoker, InvokeError, type InvokeCall } from './invoke';
import { createQuotaMeter } from './quota';
import { createRandom } from './random';

function resolverWith(define: (r: Resolver) => void) {
  const r = new Resolver();
  define(r);
  return r.getDefinitions() as unknown as InvokeCall['handler'];
}

const base = (handler: InvokeCall['handler'], over: Partial<InvokeCall> = {}): InvokeCall => ({
  functionKey: 'fn',
  payload: { a: 1 },
  context: { moduleKey: 'feed', extension: { type: 'confluence:homepageFeed' }, cloudId: 'c1' },
  moduleKey: 'feed',
  accountId: 'user-1',
  handler,
  runtime: { installContext: 'ari:cloud:confluence::site/c1', installation: { ari: 'inst' } },
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<InvokeError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(InvokeError);
    return error as InvokeError;
  }
  throw new Error('expected a rejection');
}

describe('invoke', () => {
  it('calls a real @forge/resolver handler with payload, UI context, accountId and install context', async () => {
    let seen: unknown;
    const handler = resolverWith((r) => r.define('fn', (req) => {
      seen = req;
      return { ok: true, when: new Date(0) };
    }));
    const invoker = createInvoker({ clock: createManualClock() });
    const result = await invoker.invoke(base(handler));
    expect(result).toEqual({ ok: true, when: '1970-01-01T00:00:00.000Z' });
    expect(seen).toMatchObject({
      payload: { a: 1 },
      context: { moduleKey: 'feed', extension: { type: 'confluence:homepageFeed' }, accountId: 'user-1', installContext: 'ari:cloud:confluence::site/c1', installation: { ari: 'inst' } },
    });
  });

  it('leaves accountId out for an anonymous caller', async () => {
    let context: Record<string, unknown> = {};
    const handler = resolverWith((r) => r.define('fn', (req) => void (context = req.context as Record<string, unknown>)));
    await createInvoker({ clock: createManualClock() }).invoke(base(handler, { accountId: undefined }));
    expect(context.accountId).toBeUndefined();
  });

  it('passes the payload as a copy, so the handler cannot touch the caller’s object', async () => {
    const payload = { list: [1] };
    const handler = resolverWith((r) => r.define('fn', (req) => void (req.payload as { list: number[] }).list.push(2)));
    await createInvoker({ clock: createManualClock() }).invoke(base(handler, { payload }));
    expect(payload.list).toEqual([1]);
  });

  it('surfaces a throwing resolver as FUNCTION_ERROR with its message', async () => {
    const handler = resolverWith((r) => r.define('fn', () => {
      throw new Error('nope');
    }));
    const error = await rejection(createInvoker({ clock: createManualClock() }).invoke(base(handler)));
    expect(error.code).toBe('FUNCTION_ERROR');
    expect(error.message).toContain('nope');
  });

  it('surfaces an undefined function key the way @forge/resolver reports it', async () => {
    const handler = resolverWith((r) => r.define('fn', () => 1));
    const error = await rejection(createInvoker({ clock: createManualClock() }).invoke(base(handler, { functionKey: 'other' })));
    expect(error.message).toContain("Resolver has no definition for 'other'");
  });

  it('rejects a request payload above 500 KB before running the function', async () => {
    let ran = false;
    const handler = resolverWith((r) => r.define('fn', () => void (ran = true)));
    const error = await rejection(createInvoker({ clock: createManualClock() }).invoke(base(handler, { payload: { s: 'x'.repeat(500_001) } })));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(ran).toBe(false);
  });

  it('accepts a request payload just under the limit', async () => {
    const handler = resolverWith((r) => r.define('fn', (req) => (req.payload as { s: string }).s.length));
    const s = 'x'.repeat(500_000 - JSON.stringify({ s: '' }).length);
    await expect(createInvoker({ clock: createManualClock() }).invoke(base(handler, { payload: { s } }))).resolves.toBe(s.length);
  });

  it('rejects a response above 5 MB', async () => {
    const handler = resolverWith((r) => r.define('fn', () => ({ s: 'x'.repeat(5_000_001) })));
    const error = await rejection(createInvoker({ clock: createManualClock() }).invoke(base(handler)));
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('times out after 25 s on the clock', async () => {
    const clock = createManualClock();
    const handler = resolverWith((r) => r.define('fn', () => new Promise(() => undefined)));
    const p = createInvoker({ clock }).invoke(base(handler));
    const settled = jest.fn();
    p.then(settled, settled);
    await clock.advanceAsync(24_999);
    expect(settled).not.toHaveBeenCalled();
    await clock.advanceAsync(1);
    expect((await rejection(p)).code).toBe('TIMEOUT');
  });

  it('limits a page to 500 calls per 25 s window, then lets calls through again', async () => {
    const clock = createManualClock();
    const handler = resolverWith((r) => r.define('fn', () => 1));
    // The installation's 300/s is another limit (quota.test.ts); here only the page's own counts.
    const invoker = createInvoker({ clock, quota: createQuotaMeter({ clock, enforce: false }) });
    const calls = Array.from({ length: 501 }, () => invoker.invoke(base(handler)).then(() => 'ok', (e: InvokeError) => e.code));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === 'ok')).toHaveLength(500);
    expect(results[500]).toBe('RATE_LIMITED');
    clock.advance(25_000);
    await expect(invoker.invoke(base(handler))).resolves.toBe(1);
  });

  it('limits a user to 1,200 calls a minute across pages', async () => {
    const clock = createManualClock();
    const handler = resolverWith((r) => r.define('fn', () => 1));
    const quota = createQuotaMeter({ clock });
    const pages = [1, 2, 3].map(() => createInvoker({ clock, quota }));
    // Spread over the minute so the installation's 300/s does not bind first.
    const results: string[] = [];
    for (let i = 0; i < 1201; i++) {
      if (i % 200 === 0) clock.advance(1000);
      results.push(await pages[i % 3]!.invoke(base(handler)).then(() => 'ok', (e: InvokeError) => e.code));
    }
    expect(results.filter((r) => r === 'RATE_LIMIT_EXCEEDED')).toHaveLength(1);
    expect(results[1200]).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('fails, slows and loses responses on a seeded schedule', async () => {
    const runs = await Promise.all([1, 1, 2].map(async (seed) => {
      let ran = 0;
      const handler = resolverWith((r) => r.define('fn', () => ++ran));
      const invoker = createInvoker({ clock: createManualClock(), faults: createInvokeFaults(createRandom(seed), { failRate: 0.2, loseRate: 0.2 }) });
      const out: string[] = [];
      for (let i = 0; i < 40; i++) out.push(await invoker.invoke(base(handler)).then(() => 'ok', (e: InvokeError) => e.message.includes('lost') ? 'lost' : e.code));
      return { out, ran };
    }));
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]!.out).not.toEqual(runs[2]!.out);
    expect(runs[0]!.out).toContain('lost');
    expect(runs[0]!.out).toContain('INJECTED_FAILURE');
    // A lost response still ran the function: the caller cannot tell, as in production.
    expect(runs[0]!.ran).toBe(runs[0]!.out.filter((o) => o !== 'INJECTED_FAILURE').length);
  });

  it('delays a call by the injected latency', async () => {
    const clock = createManualClock();
    const handler = resolverWith((r) => r.define('fn', () => 1));
    const invoker = createInvoker({ clock, faults: () => ({ delayMs: 300 }) });
    const settled = jest.fn();
    invoker.invoke(base(handler)).then(settled);
    await clock.advanceAsync(299);
    expect(settled).not.toHaveBeenCalled();
    await clock.advanceAsync(1);
    expect(settled).toHaveBeenCalledWith(1);
  });
});
