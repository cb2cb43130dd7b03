/**
 * Flags for Node.js (V8) that every launcher of a long-running command passes: the single
 * executable (its SEA config's `execArgv`), the service's command line when it runs the node
 * binary, the npm bin's shebang, the demo and the bench. They must be on the command line: V8
 * reads them when it sets up the heap, before any code of ours runs (`v8.setFlagsFromString`
 * at start changes nothing).
 *
 * `--no-memory-reducer`: V8's memory reducer wakes an isolate every 8 seconds to see whether the
 * heap could shrink. On a quiet sidecar (traced with `--trace-memory-reducer`) it found the
 * allocation rate of the last collection "high", collected nothing and re-armed its timer, on
 * the main thread and on the reader thread, every 8 seconds for as long as the node stayed
 * quiet: wake-ups for nothing. Collections still run whenever the heap grows; only the timer
 * that tries to shrink an idle heap is gone.
 *
 * `--expose-gc`: in its place the sidecar shrinks the heap itself, once per quiet spell, on its
 * housekeeping tick (memory.idleTrimAfter, observe/idle-trim-policy.ts), through V8's `gc`.
 */
export const NODE_FLAGS: readonly string[] = ['--no-memory-reducer', '--expose-gc'];

/** What a process started without each of NODE_FLAGS does that it need not. */
const WITHOUT: Readonly<Record<string, string>> = {
  '--no-memory-reducer': 'an idle process wakes more often than it needs to',
  '--expose-gc': 'a quiet node keeps the heap a load grew',
};

/** The start-up log line about the runtime: its version, its flags and which of ours it lacks. */
export function runtimeNote(
  version: string,
  execArgv: readonly string[],
): { readonly fields: Record<string, unknown>; readonly msg: string } {
  const missingFlags = NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
  const fields = { node: version, execArgv: [...execArgv], missingFlags };
  if (missingFlags.length === 0) return { fields, msg: `Node.js ${version} with ${NODE_FLAGS.join(' ')}` };
  const costs = missingFlags.map((flag) => `${flag}: ${WITHOUT[flag] ?? 'see the README'}`).join('; ');
  return {
    fields,
    msg:
      `Node.js ${version} runs without ${missingFlags.join(' ')} (${costs}); ` +
      `the executable, the service and npx pass them (node ${NODE_FLAGS.join(' ')} dist/cli/main.js ...)`,
  };
}
