// The size of the sidecar's event messages for the bare JetStream publisher: the benchmark's own
// load (the datagrams the sustained steps send, stamped the same way) through the built decoder
// and CloudEvents envelope, as the sidecar publishes them.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nowMicros, stampedLoad } from './datagrams.mjs';

const load = (dist, path) => import(pathToFileURL(join(dist, path)).href);

/** Average payload bytes of `count` event messages, or null when the built code does not allow it. */
export async function averageEventBytes(dist, { count, users, seed = 7, node = 'bench' }) {
  try {
    const { createDecoder } = await load(dist, 'ingest/decode.js');
    const { eventEnvelope } = await load(dist, 'publish/cloudevents.js');
    const { buildLoad } = await load(dist, 'simulate/load.js');
    const decode = createDecoder();
    const next = stampedLoad(buildLoad, { count, users, seed });
    const utf8 = new TextEncoder();
    // A ULID like the sidecar's ids (26 characters).
    const id = '01KB0000000000000000000000';
    let total = 0;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const result = decode(utf8.encode(next(i)));
      if (!result.ok) continue;
      const meta = {
        receivedAt: Math.round(nowMicros() / 1000),
        source: { address: '127.0.0.1', port: 50_000 },
      };
      total += utf8.encode(JSON.stringify(eventEnvelope(result.event, meta, id, node))).length;
      n++;
    }
    return n === 0 ? null : Math.round(total / n);
  } catch {
    return null;
  }
}
