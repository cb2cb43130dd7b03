// `npm test` runs this first: npm packages, dist/, nats-server, Chromium and aiosmtpd for the integration tests.
import { ensureAiosmtpd, ensureChromium, ensureNatsServer, ensureNodeModules, log } from './lib/setup.mjs';

try {
  ensureNodeModules();
  const nats = ensureNatsServer();
  log(`nats-server: ${nats}`);
  log(`chromium: ${ensureChromium()}`);
  log(`smtp server: ${ensureAiosmtpd()}`);
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
