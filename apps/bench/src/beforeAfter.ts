import './noBridge';
import { lateJoinAfterBurst } from './lateJoin';
import { createBgstore, drain } from './systems';
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((p / 100) * xs.length)]!;
(async () => {
  const out: Record<string, number> = {};
  for (const items of [10_000, 100_000]) {
    for (const replicas of [1, 5, 10]) {
      const j = await lateJoinAfterBurst(items, replicas);
      out[`join ${items}x${replicas}`] = j.joinMs;
      out[`task ${items}x${replicas}`] = j.longestTaskMs;
    }
    const k = items >= 100_000 ? 100 : 500;
    const origins: number[] = [];
    for (let r = 0; r < 3; r++) {
      const s = await createBgstore(items, 0);
      for (let i = 0; i < 10; i++) await s.host.actions.toggle(i);
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await s.host.actions.toggle((i * 31) % items);
      origins.push(((performance.now() - t0) * 1000) / k);
      s.close();
      await drain();
    }
    out[`origin_us ${items}`] = pct(origins, 50);
    const s = await createBgstore(items, 10);
    const times: number[] = [];
    for (let i = 0; i < (items >= 100_000 ? 60 : 200); i++) {
      const t0 = performance.now();
      await s.change((i * 7919) % items);
      times.push(performance.now() - t0);
    }
    out[`e2e_p50 ${items}x10`] = pct(times, 50);
    s.close();
    await drain();
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})();
