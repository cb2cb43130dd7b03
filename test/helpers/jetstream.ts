import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export interface StoredMessage {
  readonly subject: string;
  readonly seq: number;
  readonly msgId: string | undefined;
  readonly body: { id: string; type: string; data: Record<string, unknown> } & Record<string, unknown>;
}

/**
 * Every message stored in a stream, in stream order (an ordered consumer from the first one);
 * none while the stream does not exist yet (the sidecar creates it once connected).
 */
export async function readStream(url: string, stream: string): Promise<StoredMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const total = await jsm.streams.info(stream).then(
      (info) => info.state.messages,
      () => 0,
    );
    const out: StoredMessage[] = [];
    if (total === 0) return out;
    const consumer = await jetstream(nc).consumers.get(stream);
    while (out.length < total) {
      const batch = await consumer.fetch({
        max_messages: Math.min(5_000, total - out.length),
        expires: 5_000,
      });
      let got = 0;
      for await (const msg of batch) {
        got++;
        out.push({
          subject: msg.subject,
          seq: msg.seq,
          msgId: msg.headers?.get('Nats-Msg-Id'),
          body: msg.json(),
        });
      }
      if (got === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** How many messages a stream holds now (0 when it does not exist yet). */
export async function streamCount(url: string, stream: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(stream)).state.messages;
  } catch {
    return 0;
  } finally {
    await nc.close();
  }
}
