import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';

export interface Received {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly body: { id: string; type: string; data: Record<string, unknown> } & Record<string, unknown>;
}

/** Collects every message under a subject filter, decoded as JSON. */
export class Subscriber {
  readonly messages: Received[] = [];

  private constructor(private readonly nc: NatsConnection) {}

  static async start(url: string, filter = '>'): Promise<Subscriber> {
    const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const subscriber = new Subscriber(nc);
    nc.subscribe(filter, {
      callback: (_error, msg: Msg) => {
        subscriber.messages.push({
          subject: msg.subject,
          msgId: msg.headers?.get('Nats-Msg-Id'),
          body: msg.json(),
        });
      },
    });
    await nc.flush();
    return subscriber;
  }

  on(prefix: string): Received[] {
    return this.messages.filter((m) => m.subject.startsWith(prefix));
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
