/**
 * `tq demo` (what `npm start` runs). For now: an SPDM responder on 127.0.0.1 (ephemeral port)
 * and a requester negotiating with it over real TCP in the same process; prints each request
 * the responder answered and what was negotiated, then closes and exits 0. The rack demo will
 * replace this body.
 */
import { connectAndNegotiate } from '@trust-quorum/spdm/client';
import { listenSpdm, type SpdmLogger } from '@trust-quorum/spdm/responder/serve';
import { formatAddress } from '@trust-quorum/spdm/transport/connection';
import type { Command } from 'commander';
import { formatSummary, summarize } from './spdm-format.js';

export async function runDemo(out: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const logger: SpdmLogger = {
    info: (o, msg) => {
      if (msg === 'spdm request') out(`  responder: ${o.request} (SPDM ${o.version}) -> ${o.response}\n`);
    },
  };
  const server = await listenSpdm({ host: '127.0.0.1', port: 0, logger }, {});
  try {
    const { host, port } = server.address();
    const where = formatAddress(host, port);
    out(`SPDM responder listening on ${where} (DSP0287 framing); requester negotiating with it:\n`);
    const { conn, negotiated } = await connectAndNegotiate(host, port);
    await conn.close();
    out(`\n${formatSummary(summarize(negotiated), `negotiated with ${where}:`)}`);
  } finally {
    await server.close();
  }
}

/** Adds `tq demo` to `program`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('what `npm start` runs: an SPDM responder and a requester negotiating over loopback TCP')
    .action(() => runDemo());
}
