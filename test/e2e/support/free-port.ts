import { createServer } from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago: the kernel picks it for a listener that is
 * closed at once. Another process may take it before the caller binds it, so servers started
 * on it retry with a new port when they find it taken (see `ManagedProcess`).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
