// `npm test` runs this first: npm packages, dist/, nats-server and Chromium for the integration tests.
import { ensureChromium, ensureNatsServer, ensureNodeModules, log } from './lib/setup.mjs';

try {
  ensureNodeModules();
  const nats = ensureNatsServer();
  log(`nats-server: ${nats}`);
  log(`chromium: ${ensureChromium()}`);
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
