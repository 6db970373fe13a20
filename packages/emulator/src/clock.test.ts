import { createManualClock, createRealClock } from './clock';

describe('manual clock', () => {
  it('fires due timers in time order, ties in creation order', () => {
    const clock = createManualClock();
    const order: string[] = [];
    clock.setTimeout(() => order.push('b'), 20);
    clock.setTimeout(() => order.push('a'), 10);
    clock.setTimeout(() => order.push('c'), 20);
    clock.advance(15);
    expect(order).toEqual(['a']);
    expect(clock.now()).toBe(15);
    clock.advance(5);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('fires a timer scheduled by a timer when it falls inside the advance', () => {
    const clock = createManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => seen.push(clock.now()), 5), 5);
    clock.advance(10);
    expect(seen).toEqual([10]);
  });

  it('does not fire a cleared timer', () => {
    const clock = createManualClock();
    const fn = jest.fn();
    clock.clearTimeout(clock.setTimeout(fn, 1));
    clock.advance(5);
    expect(fn).not.toHaveBeenCalled();
    expect(clock.pending()).toBe(0);
  });

  it('lets promise callbacks run between timers in advanceAsync', async () => {
    const clock = createManualClock();
    const seen: string[] = [];
    clock.setTimeout(() => void Promise.resolve().then(() => clock.setTimeout(() => seen.push('after'), 1)), 1);
    await clock.advanceAsync(2);
    expect(seen).toEqual(['after']);
  });

  it('stops runAll on a timer loop that never settles', async () => {
    const clock = createManualClock();
    const loop = () => void clock.setTimeout(loop, 1);
    loop();
    await expect(clock.runAll(50)).rejects.toThrow('never settles');
  });
});

describe('real clock', () => {
  it('fires and clears real timers', async () => {
    const clock = createRealClock();
    const fn = jest.fn();
    clock.clearTimeout(clock.setTimeout(fn, 1));
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 2));
    expect(fn).not.toHaveBeenCalled();
  });
});
