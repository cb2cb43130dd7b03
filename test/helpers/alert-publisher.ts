import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { alertMessage } from '../fixtures/aggregate/messages.js';

export interface PublishedNotice {
  readonly alertId: string;
  readonly status: 'firing' | 'resolved';
  readonly severity: string;
  readonly rule: string;
  readonly message?: string;
}

/**
 * Publishes alert notices on the alerts stream as a sidecar does (its subject, CloudEvent and
 * Nats-Msg-Id), so a real aggregator folds them. Creates the two streams the sidecars would.
 */
export class AlertPublisher {
  private constructor(private readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<AlertPublisher> {
    const nc = await connect({ servers: url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SENSE_EVENTS', subjects: ['sense.events.>', 'sense.rejects.>'] });
    await jsm.streams.add({ name: 'SENSE_ALERTS', subjects: ['sense.alerts.>'] });
    return new AlertPublisher(nc);
  }

  async publish(n: PublishedNotice): Promise<void> {
    const message = alertMessage({ alertId: n.alertId, status: n.status, time: Date.now(), rule: n.rule });
    const data: Record<string, unknown> = {
      ...(message.data as Record<string, unknown>),
      severity: n.severity,
    };
    if (n.message !== undefined) data.message = n.message;
    await jetstream(this.nc).publish(
      `sense.alerts.SENSE-NODE1.${n.severity}.${n.rule}`,
      JSON.stringify({ ...message, data }),
      { msgID: message.id },
    );
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}
