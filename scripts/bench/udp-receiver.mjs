// Child process: the bare UDP receiver ceiling. A socket with the sidecar's receive buffer that
// only counts datagrams, on an event loop of its own like the sidecar's.
// With a second argument `dependencies`, it first imports every runtime dependency in
// package.json (the stack's libraries, idle, with no code of ours): what they alone add to the
// floor's memory.
// IPC: sends { type: 'ready', port, receiveBufferBytes, imported }; answers { type: 'report' } with
// { type: 'report', count, spanMs } (first to last datagram) and { type: 'reset' }.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const recvBufferSize = Number(process.argv[2] ?? 8 * 1024 * 1024);
const imported = [];
if (process.argv[3] === 'dependencies') {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    await import(name);
    imported.push(name);
  }
}
const socket = createSocket({ type: 'udp4', recvBufferSize });
let count = 0;
let firstAt = 0;
let lastAt = 0;
socket.on('message', () => {
  lastAt = performance.now();
  if (count === 0) firstAt = lastAt;
  count++;
});
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message?.type === 'report') process.send?.({ type: 'report', count, spanMs: lastAt - firstAt });
  if (message?.type === 'reset') {
    count = 0;
    firstAt = 0;
    lastAt = 0;
    process.send?.({ type: 'reset' });
  }
});
socket.bind(0, '127.0.0.1', () => {
  process.send?.({
    type: 'ready',
    port: socket.address().port,
    receiveBufferBytes: socket.getRecvBufferSize(),
    imported,
  });
});
