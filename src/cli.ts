// The `flinkops` command. Each subcommand lives in src/commands/<name>.ts and registers itself here.
import { Command, CommanderError } from 'commander';

export const EXIT_USAGE = 2;

type Register = (program: Command) => void;

/**
 * Subcommands, loaded on demand: `flinkops plan` must not pay for loading BullMQ, the Kubernetes
 * client and Fastify, which only `run`, `demo` and `sim` need.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  demo: async () => (await import('./commands/demo.ts')).registerDemoCommand,
  plan: async () => (await import('./commands/plan.ts')).registerPlanCommand,
  run: async () => (await import('./commands/run.ts')).registerRunCommand,
  sim: async () => (await import('./commands/sim.ts')).registerSimCommand,
  retry: async () => (await import('./commands/retry.ts')).registerRetryCommand,
  ledger: async () => (await import('./commands/ledger.ts')).registerLedgerCommand,
};

/** The program with every subcommand, or only `only` when it names one (the common, fast path). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('flinkops')
    .description('Keeps Apache Flink jobs on Kubernetes in step with Git without losing their state')
    .exitOverride()
    .showHelpAfterError();
  const names = only && only in COMMANDS ? [only] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]())(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code (commands set it through their return value). */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv[2]);
  let code = 0;
  program.hook('postAction', (_this, action) => {
    const result = (action as Command & { exitCodeValue?: number }).exitCodeValue;
    if (typeof result === 'number') code = result;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return 0;
      return EXIT_USAGE;
    }
    process.stderr.write(`flinkops: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return code;
}

/** Commands report their exit code through this so tests can call main() without exiting the process. */
export function setExitCode(command: Command, code: number): void {
  (command as Command & { exitCodeValue?: number }).exitCodeValue = code;
}
