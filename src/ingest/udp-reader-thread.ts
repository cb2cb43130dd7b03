// The UDP reader thread: it only reads the socket, checks the sender and queues the datagram
// (bounded, drops counted), and hands batches to the main thread when asked. Nothing here
// decodes, evaluates or writes, so the socket is read whatever the main thread is busy with,
// and the kernel's receive buffer only has to cover this thread's own pauses (its GC).
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { packBatch, transferables } from './datagram-batch.js';
import { HeldDatagrams, untilQuiet } from './held-datagrams.js';
import { type FromReader, type ReaderSettings, SIGNAL, type ToReader } from './reader-protocol.js';

/**
 * How soon drops and depth are reported after a datagram arrives while the main thread is not
 * asking for batches. Armed by a datagram, not periodic: an idle reader sleeps.
 */
const TOTALS_INTERVAL_MS = 1_000;

function run(port: NonNullable<typeof parentPort>, settings: ReaderSettings): void {
  const post = (message: FromReader, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(message, transfer);
  };
  const held = new HeldDatagrams(settings);
  let reported = { received: 0, dropped: 0, depth: 0 };
  const signals = new Int32Array(settings.signals);
  let handOffScheduled = false;
  // The batching wait (settings.handOff): armed while fewer datagrams are held than it asks for.
  let waitTimer: NodeJS.Timeout | null = null;
  let socketClosed = false;

  let totalsTimer: NodeJS.Timeout | null = null;
  const reportTotals = (): void => {
    totalsTimer = null;
    const totals = held.totals;
    const depth = held.length;
    if (
      totals.received !== reported.received ||
      totals.dropped !== reported.dropped ||
      depth !== reported.depth
    ) {
      reported = { ...totals, depth };
      post({ type: 'totals', totals, depth });
    }
  };

  // Answers a pull once there is something to give (or nothing more will come). Scheduled with
  // setImmediate so that the datagrams of one poll of the socket travel together.
  const handOff = (): void => {
    handOffScheduled = false;
    if (held.length === 0 && !socketClosed) return;
    if (Atomics.compareExchange(signals, SIGNAL.WANTED, 1, 0) !== 1) return;
    const batch = held.take() ?? packBatch([]);
    const depth = held.length;
    Atomics.store(signals, SIGNAL.HELD, depth);
    const totals = held.totals;
    reported = { ...totals, depth };
    post({ type: 'batch', batch, totals, depth, final: socketClosed && depth === 0 }, transferables(batch));
  };
  const waited = (): void => {
    waitTimer = null;
    scheduleHandOff();
  };
  const scheduleHandOff = (): void => {
    if (handOffScheduled || Atomics.load(signals, SIGNAL.WANTED) !== 1) return;
    const delay = held.delay(Date.now(), socketClosed);
    if (delay > 0) {
      waitTimer ??= setTimeout(waited, delay);
      return;
    }
    if (waitTimer !== null) {
      clearTimeout(waitTimer);
      waitTimer = null;
    }
    handOffScheduled = true;
    setImmediate(handOff);
  };

  const socket = createSocket({
    type: isIPv6(settings.host) ? 'udp6' : 'udp4',
    recvBufferSize: settings.receiveBufferBytes,
  });
  socket.on('message', (bytes, rinfo) => {
    totalsTimer ??= setTimeout(reportTotals, TOTALS_INTERVAL_MS);
    if (!held.arrive(bytes, rinfo.address, rinfo.port, Date.now())) return;
    Atomics.store(signals, SIGNAL.HELD, held.length);
    scheduleHandOff();
  });
  let listening = false;
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (listening) {
      post({ type: 'socket-error', message: error.message });
      return;
    }
    post({ type: 'failed', message: error.message, code: error.code ?? null });
    socket.close();
  });
  socket.once('listening', () => {
    listening = true;
    post({ type: 'listening', port: socket.address().port, granted: socket.getRecvBufferSize() });
  });
  socket.bind({ address: settings.host, port: settings.port, exclusive: true });

  const stop = (): void => {
    void untilQuiet(held, settings.quietMs, Date.now() + settings.maxDrainMs).then(() => {
      socket.close(() => {
        socketClosed = true;
        Atomics.store(signals, SIGNAL.CLOSED, 1);
        if (totalsTimer !== null) clearTimeout(totalsTimer);
        scheduleHandOff();
      });
    });
  };

  port.on('message', (message: ToReader) => {
    switch (message.type) {
      case 'pull':
        scheduleHandOff();
        break;
      case 'stop':
        stop();
        break;
    }
  });
}

if (parentPort !== null) run(parentPort, workerData as ReaderSettings);
