// Imported first by the CLI entry, so that it runs before any other module is loaded.
import { favourSizeForStartup } from './heap-sizing.js';

favourSizeForStartup();
