import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on host:port; resolves with the bound port, rejects with where it could not listen. */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Stops listening; idle keep-alive connections are closed at once, requests in progress (and
 * event streams) get until `deadline` (epoch ms) before their connections are cut.
 */
export async function closeServer(server: Server, deadline: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
  timer.unref();
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
