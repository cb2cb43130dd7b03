// Child process: sends the benchmark's datagrams with the simulator's own sender
// (sendDatagrams + ratePacing), so the sender has an event loop of its own, as a Qlik proxy would.
// Parameters come as one JSON argument; progress and the result go back over IPC.
//   { port, count, rate (0 = as fast as one sender can), users, seed, dist (the built code) }
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nowMicros, stampedLoad } from './datagrams.mjs';

process.on('disconnect', () => process.exit(0));
const params = JSON.parse(process.argv[2] ?? '{}');
const { port, count, rate, users = 5_000, seed = 7 } = params;
const dist = params.dist ?? fileURLToPath(new URL('../../dist/', import.meta.url));
const { buildLoad } = await import(pathToFileURL(join(dist, 'simulate/load.js')).href);
const { sendDatagrams } = await import(pathToFileURL(join(dist, 'simulate/udp-sender.js')).href);
const { ratePacing } = await import(pathToFileURL(join(dist, 'simulate/pacer.js')).href);

// Warm-up: the same code on a port nobody listens on, so that the timed run does not start cold
// (a short burst would otherwise measure the JIT more than the socket).
const spare = createSocket('udp4');
await new Promise((resolve) => spare.bind(0, '127.0.0.1', resolve));
const sparePort = spare.address().port;
await new Promise((resolve) => spare.close(resolve));
const warmUp = Math.min(5_000, count);
await sendDatagrams({
  host: '127.0.0.1',
  port: sparePort,
  total: warmUp,
  datagram: stampedLoad(buildLoad, { count: warmUp, users, seed: seed + 1 }),
  pacing: ratePacing(0, warmUp),
});

process.send?.({ type: 'start' });
let lastProgress = 0;
const startedAt = nowMicros();
const result = await sendDatagrams({
  host: '127.0.0.1',
  port,
  total: count,
  datagram: stampedLoad(buildLoad, { count, users, seed }),
  pacing: ratePacing(rate, count),
  onProgress: ({ sent, elapsedMs }) => {
    if (elapsedMs - lastProgress >= 500) {
      lastProgress = elapsedMs;
      process.send?.({ type: 'progress', sent, elapsedMs });
    }
  },
});
const endedAt = nowMicros();
process.send?.({ type: 'done', ...result, startedAt, endedAt }, () => process.exit(0));
