// The `flinkops` command. Each subcommand lives in src/commands/<name>.ts and registers itself here.
import { Command, CommanderError } from 'commander';
import { registerDemoCommand } from './commands/demo.ts';
import { registerLedgerCommand } from './commands/ledger.ts';
import { registerPlanCommand } from './commands/plan.ts';
import { registerRetryCommand } from './commands/retry.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSimCommand } from './commands/sim.ts';

export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('flinkops')
    .description('Keeps Apache Flink jobs on Kubernetes in step with Git without losing their state')
    .exitOverride()
    .showHelpAfterError();
  registerPlanCommand(program);
  registerRetryCommand(program);
  registerLedgerCommand(program);
  registerRunCommand(program);
  registerDemoCommand(program);
  registerSimCommand(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code (commands set it through their return value). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
