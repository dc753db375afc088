/**
 * A figure: one measured quantity of one benchmark (ours), with the peer it is compared to and
 * the ratio ours / peer in the figure's own unit. Built from raw samples by `makeFigure`, printed
 * by table.ts and json.ts.
 */
import { type Better, summarize } from './stats.js';

export interface Figure {
  /** Benchmark that produced it (`tls-handshake`). */
  readonly benchmark: string;
  /** Figure name, unique within a run (`tls-handshake p256 sequential`). */
  readonly name: string;
  /** Unit of median, p90 and peerMedian: `ms`, `MB/s`, `handshakes/s`, ... */
  readonly unit: string;
  /** `lower` for times, `higher` for rates and throughput; says which side of ratio 1 is good. */
  readonly better: Better;
  readonly median: number;
  /** Tail bound: 90 % of samples were at least this good (stats.ts Summary.p90). */
  readonly p90: number;
  /** Number of samples. */
  readonly n: number;
  /** What it is compared with, or null when the figure stands alone. */
  readonly peer: string | null;
  readonly peerMedian: number | null;
  readonly peerP90: number | null;
  readonly peerN: number | null;
  /** median / peerMedian; null without a peer. */
  readonly ratio: number | null;
  /** One line saying what the comparison means. */
  readonly note?: string;
}

export interface FigureInit {
  readonly benchmark: string;
  readonly name: string;
  readonly unit: string;
  readonly better: Better;
  readonly samples: readonly number[];
  readonly peer?: { readonly name: string; readonly samples: readonly number[] };
  readonly note?: string;
}

/**
 * Summarizes samples into a Figure.
 * @throws RangeError when a sample list is empty or holds a non-finite value, or the peer's
 *   median is zero.
 */
export function makeFigure(init: FigureInit): Figure {
  const ours = summarize(init.samples, init.better);
  const peer = init.peer ? summarize(init.peer.samples, init.better) : null;
  if (peer && peer.median === 0) throw new RangeError(`${init.name}: peer median is zero`);
  return {
    benchmark: init.benchmark,
    name: init.name,
    unit: init.unit,
    better: init.better,
    median: ours.median,
    p90: ours.p90,
    n: ours.n,
    peer: init.peer?.name ?? null,
    peerMedian: peer?.median ?? null,
    peerP90: peer?.p90 ?? null,
    peerN: peer?.n ?? null,
    ratio: peer ? ours.median / peer.median : null,
    ...(init.note === undefined ? {} : { note: init.note }),
  };
}
