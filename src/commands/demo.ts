// `flinkops demo [--speed N] [--listen HOST:PORT] [--no-story] [--exit-after-story]`: the whole product on
// this machine (embedded cluster, Redis, a local Git repository, flinkops with its UI) and a scripted story.
import type { Command } from 'commander';
import { setExitCode } from '../cli.ts';

interface DemoFlags {
  speed: string;
  listen: string;
  story: boolean;
  exitAfterStory?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run flinkops against an embedded Kubernetes API + Flink operator simulator, with a scripted story',
    )
    .option('--speed <n>', 'simulated time runs this many times faster than real time', '4')
    .option('--listen <host:port>', 'queue UI address', '127.0.0.1:8080')
    .option('--no-story', 'start the stack only (push to the printed repository yourself)')
    .option(
      '--exit-after-story',
      'stop and clean up when the story is told (exit 1 if it did not go as promised)',
    )
    .action(async (flags: DemoFlags, command: Command) => {
      const speed = Number(flags.speed);
      if (!Number.isFinite(speed) || speed <= 0) {
        process.stderr.write(`flinkops demo: --speed must be a positive number, got "${flags.speed}"\n`);
        setExitCode(command, 2);
        return;
      }
      // the story is the output; logs only for warnings unless asked for
      if (!process.env.FLINKOPS_LOG_LEVEL) (await import('../log.ts')).logger.level = 'warn';
      const { runDemo } = await import('../demo/run-demo.ts');
      const { RedisMissingError } = await import('../demo/demo-redis.ts');
      try {
        const code = await runDemo({
          speed,
          listen: flags.listen,
          story: flags.story,
          exitAfterStory: flags.exitAfterStory ?? false,
          print: (text) => process.stdout.write(`${text}\n`),
        });
        setExitCode(command, code);
      } catch (err) {
        if (err instanceof RedisMissingError) {
          process.stderr.write(`flinkops demo: ${err.message}\n`);
          setExitCode(command, 1);
          return;
        }
        throw err;
      }
    });
}
