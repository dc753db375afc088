/**
 * `tq demo` (what `npm start` runs, for now): a responder and a requester in this process over
 * loopback TCP; the output shows the three VCA requests the responder answered and the result.
 */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

describe('tq demo', () => {
  it('negotiates over loopback TCP and prints what it settled', async () => {
    let out = '';
    await runDemo((t) => {
      out += t;
    });
    expect(out).toMatch(/^SPDM responder listening on 127\.0\.0\.1:\d+ \(DSP0287 framing\)/);
    const answered = out.split('\n').filter((l) => l.startsWith('  responder: '));
    expect(answered).toEqual([
      '  responder: GET_VERSION (SPDM 1.0) -> VERSION',
      '  responder: GET_CAPABILITIES (SPDM 1.3) -> CAPABILITIES',
      '  responder: NEGOTIATE_ALGORITHMS (SPDM 1.3) -> ALGORITHMS',
    ]);
    expect(out).toMatch(/^negotiated with 127\.0\.0\.1:\d+:$/m);
    expect(out).toMatch(/^ {2}version {11}1\.3$/m);
    expect(out).toMatch(/^ {2}aead {14}AES_256_GCM$/m);
  });
});
