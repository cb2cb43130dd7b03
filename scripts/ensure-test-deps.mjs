// `npm test` runs this first: npm packages, dist/, and nats-server for the integration tests.
import { ensureNatsServer, ensureNodeModules, log } from './lib/setup.mjs';

try {
  ensureNodeModules();
  const nats = ensureNatsServer();
  log(`nats-server: ${nats}`);
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
