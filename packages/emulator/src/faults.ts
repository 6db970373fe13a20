import type { Random } from './random';

/** What can go wrong on one event link (emitter module → receiver module). */
export interface LinkFaults {
  /** Probability that a delivery is lost. @default 0 */
  drop?: number;
  /** Probability that a delivery arrives twice. @default 0 */
  duplicate?: number;
  /** Delivery latency in ms, fixed or a `[min, max]` range drawn per delivery. @default 0 */
  delay?: number | readonly [number, number];
  /** Probability that a delivery is held back by up to `reorderWindow` ms, so later ones overtake it. @default 0 */
  reorder?: number;
  /** How far a reordered delivery is held back, in ms. @default 50 */
  reorderWindow?: number;
}

/** Faults on the event bus: defaults for every link, overridden per link as `"from->to"` (module keys or ids, `*` for any). */
export interface EventFaults extends LinkFaults {
  links?: Record<string, LinkFaults>;
}

/** The fate of one delivery, decided up front so a seed replays the same schedule. */
export interface DeliveryPlan {
  /** Delays in ms, one per copy delivered; empty means dropped. */
  copies: number[];
}

function pick(faults: EventFaults, from: readonly string[], to: readonly string[]): LinkFaults {
  const links = faults.links ?? {};
  for (const f of [...from, '*']) {
    for (const t of [...to, '*']) {
      const link = links[`${f}->${t}`];
      if (link) return { ...faults, ...link };
    }
  }
  return faults;
}

/**
 * Decides what happens to one delivery. `from` and `to` list every name a module answers to
 * (its instance id, then its module key), most specific first.
 */
export function planDelivery(
  faults: EventFaults | undefined,
  random: Random,
  from: readonly string[],
  to: readonly string[],
): DeliveryPlan {
  if (!faults) return { copies: [0] };
  const link = pick(faults, from, to);
  if (random.chance(link.drop ?? 0)) return { copies: [] };
  const n = random.chance(link.duplicate ?? 0) ? 2 : 1;
  const copies: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = link.delay ?? 0;
    let ms = typeof d === 'number' ? d : random.int(d[0], d[1]);
    if (random.chance(link.reorder ?? 0)) ms += random.int(1, link.reorderWindow ?? 50);
    copies.push(ms);
  }
  return { copies };
}
