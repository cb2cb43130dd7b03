import { createSocket } from 'node:dgram';

/** Sends each text as one datagram to 127.0.0.1:port, waiting for every send to complete. */
export async function sendDatagrams(
  port: number,
  datagrams: readonly (string | Uint8Array)[],
): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const datagram of datagrams) {
      await new Promise<void>((resolve, reject) => {
        socket.send(datagram, port, '127.0.0.1', (error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    }
  } finally {
    socket.close();
  }
}
