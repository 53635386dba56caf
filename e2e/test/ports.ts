/** Loopback ports for processes a test starts itself (a private Redis, a second Kafka). */
import net from 'node:net';

export { freePort } from '@streamloop/core/testing';

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
