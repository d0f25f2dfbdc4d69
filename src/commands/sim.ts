// `flinkops sim`: runs the embedded cluster (Kubernetes API + Flink operator simulator) in the foreground
// until SIGINT/SIGTERM. Its URL is the first line of stdout so scripts can read it; logs go to stderr.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT_USAGE, setExitCode } from '../cli.ts';
import { logToStderr } from '../log.ts';
import { startEmbeddedCluster } from '../sim/cluster.ts';

interface SimOptions {
  host: string;
  port: string;
  speed: string;
  kubeconfigOut?: string;
  state?: string;
  allowRemote?: boolean;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'run the embedded cluster (Kubernetes API for FlinkDeployments + operator simulator) until interrupted',
    )
    .option('--host <host>', 'address to listen on (loopback only unless --allow-remote)', '127.0.0.1')
    .option('--port <port>', 'port to listen on, 0 for any free port', '0')
    .option('--speed <n>', 'simulated-time multiplier (1 = human pace, 50+ for tests)', '1')
    .option('--kubeconfig-out <file>', 'write a kubeconfig for kubectl / @kubernetes/client-node here')
    .option('--state <file>', 'persist objects and simulated storage in this JSON file across restarts')
    .option('--allow-remote', 'allow a non-loopback --host (the API has no authentication)')
    .action(async (options: SimOptions, command: Command) => {
      setExitCode(command, await runSim(options));
    });
}

function usage(message: string): number {
  process.stderr.write(`flinkops sim: ${message}\n`);
  return EXIT_USAGE;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

async function runSim(options: SimOptions): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return usage(`--port ${options.port}: expected 0..65535`);
  const speed = Number(options.speed);
  if (!Number.isFinite(speed) || speed <= 0)
    return usage(`--speed ${options.speed}: expected a positive number`);
  if (!isLoopback(options.host) && !options.allowRemote) {
    return usage(
      `--host ${options.host} is not a loopback address; the API has no authentication, pass --allow-remote to serve it anyway`,
    );
  }
  logToStderr();
  const cluster = await startEmbeddedCluster({
    host: options.host,
    port,
    speed,
    kubeconfigOut: options.kubeconfigOut ? resolve(options.kubeconfigOut) : undefined,
    statePath: options.state ? resolve(options.state) : undefined,
  });
  process.stdout.write(`${cluster.url}\n`);

  // Bounded only by the operator: the process lives until a signal asks it to stop.
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const onSignal = (received: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolveSignal(received);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stderr.write(`flinkops sim: ${signal}, stopping\n`);
  await cluster.stop();
  return 0;
}
