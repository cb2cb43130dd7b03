/**
 * An install or uninstall as a list of steps (data), the one interface every system call goes
 * through (`SystemAccess`, injected), and the executor that runs a plan. Planning is pure, so
 * unit tests compare exact commands, and `--dry-run` prints the same plan it would run.
 *
 * Invariants: steps run in order and the first failure stops the plan (nothing after it runs);
 * a step marked `mayFail` (stopping something already stopped) never stops it.
 */

export type Step =
  | {
      readonly kind: 'run';
      readonly command: string;
      readonly args: readonly string[];
      readonly mayFail?: boolean;
      readonly unless?: { readonly command: string; readonly args: readonly string[] };
    }
  | { readonly kind: 'write'; readonly path: string; readonly content: string }
  | { readonly kind: 'copy'; readonly from: string; readonly to: string }
  | { readonly kind: 'mkdir'; readonly path: string }
  | { readonly kind: 'remove'; readonly path: string };

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Everything a service command does to the machine. */
export interface SystemAccess {
  run(command: string, args: readonly string[]): Promise<RunResult>;
  exists(path: string): Promise<boolean>;
  writeFile(path: string, content: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
}

export class StepFailed extends Error {
  override readonly name = 'StepFailed';
}

/** A shell-like rendering of one word, for people to read (and paste). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellWord).join(' ');
}

/** One line per step, as `--dry-run` prints them (file contents are printed separately). */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'run': {
      const line = commandLine(step.command, step.args);
      const guarded =
        step.unless === undefined ? line : `${commandLine(step.unless.command, step.unless.args)} || ${line}`;
      return step.mayFail === true ? `${guarded}   # may fail` : guarded;
    }
    case 'write':
      return `write ${step.path}`;
    case 'copy':
      return `copy ${step.from} ${step.to}`;
    case 'mkdir':
      return `mkdir ${step.path}`;
    case 'remove':
      return `remove ${step.path}`;
  }
}

/** Runs the plan; `report` hears each step before it runs. Throws StepFailed on the first failure. */
export async function executePlan(
  steps: readonly Step[],
  system: SystemAccess,
  report: (line: string) => void,
): Promise<void> {
  for (const step of steps) {
    report(describeStep(step));
    try {
      await executeStep(step, system);
    } catch (error) {
      if (error instanceof StepFailed) throw error;
      throw new StepFailed(
        `${describeStep(step)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function executeStep(step: Step, system: SystemAccess): Promise<void> {
  switch (step.kind) {
    case 'run': {
      if (step.unless !== undefined) {
        const check = await system.run(step.unless.command, step.unless.args);
        if (check.exitCode === 0) return;
      }
      const result = await system.run(step.command, step.args);
      if (result.exitCode !== 0 && step.mayFail !== true) {
        const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
        throw new StepFailed(
          `${commandLine(step.command, step.args)} exited with ${result.exitCode}${said === '' ? '' : `: ${said}`}`,
        );
      }
      return;
    }
    case 'write':
      return system.writeFile(step.path, step.content);
    case 'copy':
      return system.copyFile(step.from, step.to);
    case 'mkdir':
      return system.mkdir(step.path);
    case 'remove':
      return system.remove(step.path);
  }
}
