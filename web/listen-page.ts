import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A page server listening: its URL, and `close()` that drops open connections (a playing video's too). */
export interface ListeningPage {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a request handler on `host:port` (port 0: any free one) until `close()`. Listen errors
 * (EADDRINUSE, EADDRNOTAVAIL) reject, for the command to name them.
 *
 * @example
 * const page = await listenPage(handler, { host: '127.0.0.1', port: 0 });
 * page.url // 'http://127.0.0.1:43121/'
 */
export async function listenPage(handler: (req: IncomingMessage, res: ServerResponse) => void, options: { host?: string; port?: number } = {}): Promise<ListeningPage> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
