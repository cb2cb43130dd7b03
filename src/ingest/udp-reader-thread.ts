// The UDP reader thread: it only reads the socket, checks the sender and queues the datagram
// (bounded, drops counted), and hands batches to the main thread when asked. Nothing here
// decodes, evaluates or writes, so the socket is read whatever the main thread is busy with,
// and the kernel's receive buffer only has to cover this thread's own pauses (its GC).
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { createSourceFilter } from '../config/address-filter.js';
import { packBatch, transferables } from './datagram-batch.js';
import { ArrivalRate, handOffDelay } from './hand-off-policy.js';
import { PackingQueue } from './packing-queue.js';
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
  const isAllowed = createSourceFilter(settings.allowedSources);
  const queue = new PackingQueue(settings.queueSize, settings.maxBatch);
  let received = 0;
  let dropped = 0;
  let reported = { received: 0, dropped: 0, depth: 0 };
  const signals = new Int32Array(settings.signals);
  let handOffScheduled = false;
  // The batching wait (settings.handOff): armed while fewer datagrams are held than it asks for.
  let waitTimer: NodeJS.Timeout | null = null;
  let socketClosed = false;
  let lastDatagramAt = Number.NEGATIVE_INFINITY;
  const arrivals = new ArrivalRate();

  const totals = () => ({ received, dropped });

  let totalsTimer: NodeJS.Timeout | null = null;
  const reportTotals = (): void => {
    totalsTimer = null;
    if (received !== reported.received || dropped !== reported.dropped || queue.length !== reported.depth) {
      reported = { received, dropped, depth: queue.length };
      post({ type: 'totals', totals: totals(), depth: queue.length });
    }
  };

  // Answers a pull once there is something to give (or nothing more will come). Scheduled with
  // setImmediate so that the datagrams of one poll of the socket travel together.
  const handOff = (): void => {
    handOffScheduled = false;
    if (queue.length === 0 && !socketClosed) return;
    if (Atomics.compareExchange(signals, SIGNAL.WANTED, 1, 0) !== 1) return;
    const batch = queue.take() ?? packBatch([]);
    const depth = queue.length;
    Atomics.store(signals, SIGNAL.HELD, depth);
    reported = { received, dropped, depth };
    post(
      { type: 'batch', batch, totals: totals(), depth, final: socketClosed && depth === 0 },
      transferables(batch),
    );
  };
  const waited = (): void => {
    waitTimer = null;
    scheduleHandOff();
  };
  const scheduleHandOff = (): void => {
    if (handOffScheduled || Atomics.load(signals, SIGNAL.WANTED) !== 1) return;
    const now = Date.now();
    const delay = handOffDelay(
      settings.handOff,
      queue.length,
      queue.oldestReceivedAt() ?? now,
      now,
      socketClosed,
      arrivals.perSecond,
    );
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
    const now = Date.now();
    lastDatagramAt = now;
    arrivals.note(now);
    received++;
    totalsTimer ??= setTimeout(reportTotals, TOTALS_INTERVAL_MS);
    const item = {
      bytes,
      address: rinfo.address,
      port: rinfo.port,
      receivedAt: now,
      allowed: isAllowed(rinfo.address),
    };
    if (!queue.push(item)) {
      dropped++;
      return;
    }
    Atomics.store(signals, SIGNAL.HELD, queue.length);
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

  // Datagrams the kernel already holds count as in flight: keep reading until the socket has
  // been quiet for a moment (or the drain limit passes), then close it.
  const stop = (): void => {
    const giveUpAt = Date.now() + settings.maxDrainMs;
    const check = (): void => {
      const now = Date.now();
      if (now - lastDatagramAt < settings.quietMs && now < giveUpAt) {
        setTimeout(check, settings.quietMs / 4);
        return;
      }
      socket.close(() => {
        socketClosed = true;
        Atomics.store(signals, SIGNAL.CLOSED, 1);
        if (totalsTimer !== null) clearTimeout(totalsTimer);
        scheduleHandOff();
      });
    };
    check();
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
