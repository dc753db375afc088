/**
 * Whether IPv4 multicast works on the loopback interface here (it needs the multicast
 * interface set to 127.0.0.1; some machines cannot do it at all). Used by `tq demo --discovery`
 * and by the discovery tests to skip with the reason.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';

/** IPv4 multicast on 127.0.0.1 works here (a datagram to a random group comes back); else why not. */
export async function loopbackMulticastProblem(): Promise<string | null> {
  const group = `239.255.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const rx = createSocket({ type: 'udp4', reuseAddr: true });
  const tx = createSocket({ type: 'udp4' });
  try {
    await new Promise<void>((res, rej) => {
      rx.once('error', rej);
      rx.bind(port, group, res);
    });
    rx.addMembership(group, '127.0.0.1');
    await new Promise<void>((res) => tx.bind(0, '127.0.0.1', res));
    tx.setMulticastInterface('127.0.0.1');
    tx.setMulticastLoopback(true);
    const got = once(rx, 'message');
    tx.send('probe', port, group);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((res) => {
      timer = setTimeout(() => res('late'), 2000);
    });
    const r = await Promise.race([got, late]);
    clearTimeout(timer);
    return r === 'late' ? 'no datagram came back within 2 s' : null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    rx.close();
    tx.close();
  }
}
