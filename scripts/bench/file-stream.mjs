// For the bench's child processes that publish to JetStream themselves: a connection and a
// file-backed stream of one replica over `${subject}.>`, like the sidecar's own.
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** `extra`: further stream settings (e.g. duplicate_window). */
export async function connectToFileStream(url, stream, subject, extra = {}) {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: stream,
    subjects: [`${subject}.>`],
    storage: StorageType.File,
    num_replicas: 1,
    ...extra,
  });
  return { nc, jsm, js: jetstream(nc) };
}
