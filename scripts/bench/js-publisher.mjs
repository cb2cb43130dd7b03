// Child process: the bare JetStream publisher ceiling. Publishes `count` messages of `size`
// bytes to a file-backed stream with js.publish, each acknowledged, at most `window`
// unacknowledged at once, each with a Nats-Msg-Id like the sidecar's. Reports msgs/s over IPC.
//   { url, stream, subject, count, size, window, duplicateWindowMs }
import { performance } from 'node:perf_hooks';
import { nanos } from '@nats-io/transport-node';
import { connectToFileStream } from './file-stream.mjs';

process.on('disconnect', () => process.exit(0));
const { url, stream, subject, count, size, window, duplicateWindowMs } = JSON.parse(process.argv[2] ?? '{}');

const { nc, jsm, js } = await connectToFileStream(url, stream, subject, {
  duplicate_window: nanos(duplicateWindowMs),
});
const payload = new Uint8Array(size).fill(0x61);
const runId = Math.random().toString(36).slice(2);

function publishAll(total, tag) {
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let inFlight = 0;
    const launch = () => {
      while (inFlight < window && next < total) {
        const i = next++;
        inFlight++;
        js.publish(`${subject}.${i % 4}`, payload, { msgID: `${runId}-${tag}-${i}` }).then(() => {
          inFlight--;
          if (++done === total) resolve();
          else launch();
        }, reject);
      }
    };
    launch();
  });
}

// A short warm-up (connection, stream files), not counted.
await publishAll(Math.min(1_000, count), 'warm');
await jsm.streams.purge(stream);
const began = performance.now();
await publishAll(count, 'run');
const seconds = (performance.now() - began) / 1000;
const stored = (await jsm.streams.info(stream)).state.messages;
await jsm.streams.delete(stream);
await nc.close();
process.send?.({ type: 'done', count, stored, seconds, perSecond: count / seconds }, () => process.exit(0));
