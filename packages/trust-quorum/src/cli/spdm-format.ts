/**
 * What `tq spdm probe` and `tq demo` print about a negotiation: a plain summary object (the
 * `--json` output: keys version, requesterCaps, responderCaps, algorithms) and an aligned,
 * wrapped text rendering of it. Names come from the SPDM package's tables (capability names
 * as DSP0274 spells them, algorithm names as the bit tables of crypto/algorithms.ts).
 */
import {
  AEAD_SUITE,
  BASE_ASYM_ALGO,
  BASE_HASH_ALGO,
  bitNames,
  DHE_GROUP,
  KEY_SCHEDULE,
  MEASUREMENT_HASH_ALGO,
  MEASUREMENT_SPEC_DMTF,
  OTHER_PARAMS,
} from '@trust-quorum/spdm/crypto/algorithms';
import { capabilityNames } from '@trust-quorum/spdm/msgs/capabilities';
import { versionName } from '@trust-quorum/spdm/msgs/codes';
import type { Negotiated } from '@trust-quorum/spdm/negotiated';

/** The chosen algorithms by name; null where nothing was selected. */
export interface AlgorithmSummary {
  readonly baseHash: string | null;
  readonly baseAsym: string | null;
  readonly reqBaseAsym: string | null;
  readonly dhe: string | null;
  readonly aead: string | null;
  readonly keySchedule: string | null;
  readonly measurementSpec: string | null;
  readonly measurementHash: string | null;
  /** OtherParamsSelection bits by name (opaque-data format, multi-key connection). */
  readonly otherParams: readonly string[];
}

export interface NegotiationSummary {
  /** "1.1", "1.2" or "1.3". */
  readonly version: string;
  readonly requesterCaps: readonly string[];
  readonly responderCaps: readonly string[];
  readonly algorithms: AlgorithmSummary;
}

/** Name of a one-bit selection, or null for 0 (several bits, which VCA forbids: joined by "|"). */
function selected(tableOf: Record<string, number>, value: number): string | null {
  if (value === 0) return null;
  const names = bitNames(tableOf, value);
  return names.length > 0 ? names.join('|') : `0x${value.toString(16)}`;
}

export function summarize(n: Negotiated): NegotiationSummary {
  return {
    version: versionName(n.version),
    requesterCaps: capabilityNames(n.requesterCaps, 'requester'),
    responderCaps: capabilityNames(n.responderCaps, 'responder'),
    algorithms: {
      baseHash: selected(BASE_HASH_ALGO, n.baseHashAlgo),
      baseAsym: selected(BASE_ASYM_ALGO, n.baseAsymAlgo),
      reqBaseAsym: selected(BASE_ASYM_ALGO, n.reqBaseAsymAlg),
      dhe: selected(DHE_GROUP, n.dheGroup),
      aead: selected(AEAD_SUITE, n.aeadSuite),
      keySchedule: selected(KEY_SCHEDULE, n.keySchedule),
      measurementSpec: selected({ DMTF: MEASUREMENT_SPEC_DMTF }, n.measurementSpec),
      measurementHash: selected(MEASUREMENT_HASH_ALGO, n.measurementHashAlgo),
      otherParams: bitNames(OTHER_PARAMS, n.otherParams),
    },
  };
}

const WIDTH = 100;
const LABEL = 20;

/** `label` padded, then `words` wrapped at WIDTH with continuation lines aligned. */
function row(label: string, words: readonly string[]): string {
  const pad = ' '.repeat(LABEL);
  const lines: string[] = [];
  let line = '';
  for (const w of words.length > 0 ? words : ['(none)']) {
    if (line.length > 0 && LABEL + line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = w;
    } else {
      line = line.length > 0 ? `${line} ${w}` : w;
    }
  }
  lines.push(line);
  return lines.map((l, i) => `${i === 0 ? `  ${label}`.padEnd(LABEL) : pad}${l}`).join('\n');
}

/** The aligned text form: a title line, then one row per field. Ends with a newline. */
export function formatSummary(s: NegotiationSummary, title: string): string {
  const a = s.algorithms;
  const one = (v: string | null): string[] => [v ?? '-'];
  const rows = [
    row('version', [s.version]),
    row('requester caps', s.requesterCaps),
    row('responder caps', s.responderCaps),
    row('hash', one(a.baseHash)),
    row('asym', one(a.baseAsym)),
    row('requester asym', one(a.reqBaseAsym)),
    row('dhe', one(a.dhe)),
    row('aead', one(a.aead)),
    row('key schedule', one(a.keySchedule)),
    row('measurement spec', one(a.measurementSpec)),
    row('measurement hash', one(a.measurementHash)),
    row('other params', a.otherParams.length > 0 ? a.otherParams : ['-']),
  ];
  return `${title}\n${rows.join('\n')}\n`;
}
