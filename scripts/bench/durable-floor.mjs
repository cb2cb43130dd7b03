// Child process: the floor with the durable round and nothing else. The bare socket of the floor
// (udp-receiver.mjs), holding what arrives for `batchWaitMs` (or until 512 are held) as the
// sidecar's quiet intake does, then per batch what the sidecar promises for every datagram:
// written to a file and fdatasync'd (through the thread pool, like the outbox), then published
// to a file-backed JetStream stream, each message acknowledged. No decoding, state, rules,
// status or metrics: what a target below this would leave for them is the point.
//   argv[2]: { url, stream, subject, dir, batchWaitMs, recvBufferSize }
// IPC: sends { type: 'ready', port }; answers { type: 'report' } with { type: 'report', count,
// published }.
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import { fdatasync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { connectToFileStream } from './file-stream.mjs';

const MAX_BATCH = 512;
const { url, stream, subject, dir, batchWaitMs, recvBufferSize } = JSON.parse(process.argv[2]);

const { js } = await connectToFileStream(url, stream, subject);
const fd = openSync(join(dir, 'durable-floor.log'), 'a');
const runId = Math.random().toString(36).slice(2);

let held = [];
let timer = null;
let count = 0;
let published = 0;
/** Datagrams handed to a batch so far: each message's id (Nats-Msg-Id) is unique. */
let sequence = 0;
// One batch at a time, in order, as the sidecar's outbox and publisher keep them.
let round = Promise.resolve();

function flush() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  const batch = held;
  held = [];
  if (batch.length === 0) return;
  const first = sequence;
  sequence += batch.length;
  round = round.then(async () => {
    writeSync(fd, Buffer.concat(batch.flatMap((bytes) => [bytes, Buffer.from('\n')])));
    await new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    await Promise.all(
      batch.map((bytes, i) => js.publish(`${subject}.events`, bytes, { msgID: `${runId}-${first + i}` })),
    );
    published += batch.length;
  });
}

const socket = createSocket({ type: 'udp4', recvBufferSize });
socket.on('message', (bytes) => {
  count++;
  held.push(bytes);
  if (held.length >= MAX_BATCH) flush();
  else if (timer === null) timer = setTimeout(flush, batchWaitMs);
});
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message?.type === 'report') process.send?.({ type: 'report', count, published });
});
socket.bind(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: socket.address().port }));
