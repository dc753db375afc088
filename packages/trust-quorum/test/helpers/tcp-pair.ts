/** A connected pair of real loopback TCP sockets, for stream-level tests. */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export async function tcpPair(): Promise<[client: Socket, server: Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = (await accepted) as [Socket];
  server.close();
  return [client, peer];
}
