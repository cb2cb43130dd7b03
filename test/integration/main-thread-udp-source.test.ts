import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Datagram } from '../../src/ingest/datagram-batch.js';
import type { DatagramSourceOptions } from '../../src/ingest/datagram-source.js';
import type { HandOffPolicy } from '../../src/ingest/hand-off-policy.js';
import { MainThreadUdpSource } from '../../src/ingest/main-thread-udp-source.js';
import { captureLog } from '../helpers/capture.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

// The socket read on the main thread (intake.readerThread: false), with real datagrams on
// loopback. Nothing here waits for the batch timer: the policies either hand off at once or
// hold for longer than any test runs, and the source's counters say when datagrams arrived.
const HOLD: HandOffPolicy = { datagrams: 3, waitMs: 60_000, belowRate: 0 };

const text = (d: Datagram) => Buffer.from(d.bytes).toString();

describe('the socket on the main thread', () => {
  let source: MainThreadUdpSource | undefined;
  let readable = 0;

  afterEach(async () => {
    await source?.stop(Date.now() + 2_000);
    source = undefined;
    readable = 0;
  });

  async function started(options: Partial<DatagramSourceOptions> = {}) {
    const { log, lines } = captureLog();
    source = new MainThreadUdpSource({
      host: '127.0.0.1',
      port: 0,
      receiveBufferBytes: 1 << 20,
      allowedSources: [],
      queueSize: 1_000,
      log,
      onReadable: () => {
        readable++;
      },
      ...options,
    });
    await source.start();
    const port = source.port;
    if (port === undefined) throw new Error('no bound port after start');
    const arrived = (n: number) => waitFor(() => source?.totals.received === n, `${n} datagrams received`);
    return { source, port, arrived, lines };
  }

  it('hands each datagram over at once by default, in order, with sender and time', async () => {
    const { source, port } = await started();
    const before = Date.now();
    await sendDatagrams(port, ['one', 'two']);
    await waitFor(() => readable > 0 && source.depth === 2, 'both datagrams readable');
    const batch = source.take();
    expect(batch.map(text)).toEqual(['one', 'two']);
    expect(batch[0]?.meta.source.address).toBe('127.0.0.1');
    expect(batch[0]?.meta.receivedAt).toBeGreaterThanOrEqual(before);
    expect(batch[0]?.allowed).toBe(true);
    expect(source.depth).toBe(0);
    expect(source.take()).toEqual([]);
  });

  it('holds datagrams until the policy says so: nothing is taken before the batch is full', async () => {
    const { source, port, arrived } = await started({ handOff: HOLD });
    await sendDatagrams(port, ['a', 'b']);
    await arrived(2);
    expect(source.take()).toEqual([]);
    expect(source.depth).toBe(2);
    await sendDatagrams(port, ['c']);
    await waitFor(() => readable > 0, 'told the batch is ready');
    expect(source.take().map(text)).toEqual(['a', 'b', 'c']);
  });

  it('drops what does not fit intake.queueSize, and counts it', async () => {
    const { source, port, arrived } = await started({ handOff: HOLD, queueSize: 2, maxBatch: 512 });
    await sendDatagrams(port, ['1', '2', '3', '4', '5']);
    await arrived(5);
    expect(source.totals).toEqual({ received: 5, dropped: 3 });
    expect(source.depth).toBe(2);
  });

  it('hands out at most maxBatch datagrams at a time and says when more are ready', async () => {
    const { source, port, arrived } = await started({ maxBatch: 2 });
    await sendDatagrams(port, ['1', '2', '3']);
    await arrived(3);
    expect(source.take().map(text)).toEqual(['1', '2']);
    readable = 0;
    await waitFor(() => readable > 0, 'told the rest is ready');
    expect(source.take().map(text)).toEqual(['3']);
  });

  it('marks senders outside udp.allowedSources, keeping their datagrams for the dead letters', async () => {
    const { source, port } = await started({ allowedSources: ['10.0.0.0/8'] });
    await sendDatagrams(port, ['foreign']);
    await waitFor(() => source.depth === 1, 'the datagram held');
    expect(source.take().map((d) => d.allowed)).toEqual([false]);
  });

  it('at stop hands on what it held, however far from its batch, then is exhausted', async () => {
    const { source, port, arrived } = await started({ handOff: HOLD });
    await sendDatagrams(port, ['held']);
    await arrived(1);
    expect(source.exhausted).toBe(false);
    await source.stop(Date.now() + 5_000);
    expect(readable).toBeGreaterThan(0);
    expect(source.exhausted).toBe(false);
    expect(source.take().map(text)).toEqual(['held']);
    expect(source.exhausted).toBe(true);
  });

  it('refuses a port another socket holds, with the system error', async () => {
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
    try {
      const { log } = captureLog();
      const busy = new MainThreadUdpSource({
        host: '127.0.0.1',
        port: other.address().port,
        receiveBufferBytes: 1 << 20,
        allowedSources: [],
        queueSize: 10,
        log,
        onReadable: () => {},
      });
      await expect(busy.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      other.close();
    }
  });

  it('logs where it listens and the receive buffer the kernel granted', async () => {
    const { port, lines } = await started();
    const line = lines.find((l) => l.msg === 'listening for Qlik user events (UDP)');
    expect(line).toMatchObject({ host: '127.0.0.1', port });
    expect(line?.['receiveBufferBytes']).toBeGreaterThan(0);
  });
});
