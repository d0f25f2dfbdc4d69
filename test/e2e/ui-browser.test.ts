// The queue UI in a real browser (Debian's chromium driven by playwright-core): without credentials
// it answers 401; with them it lists a failed step, its Retry button re-runs it, and the flow
// completes. No request may leave 127.0.0.1, and the page must not hit our CSP. A screenshot is
// saved under test-artifacts/. Skips (saying what is missing) without /usr/bin/chromium or
// playwright-core: .ci/setup.sh installs both.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { stepJobId, stepJobName } from '../../src/queue/ids.ts';
import { STEPS_QUEUE } from '../../src/queue/types.ts';
import { FlinkopsMetrics } from '../../src/server/metrics.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';
import { TestRedis } from '../helpers/redis-server.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

// playwright-core is loaded only when present, so the suite can say why it skips. These are the
// few parts of its API the test uses, so the file type-checks before the package is installed.
interface Locator {
  first(): Locator;
  nth(index: number): Locator;
  or(other: Locator): Locator;
  hover(): Promise<void>;
  isVisible(): Promise<boolean>;
  waitFor(options: { state: 'visible'; timeout?: number }): Promise<void>;
  click(): Promise<void>;
  count(): Promise<number>;
  getByRole(role: string, options?: { name?: RegExp | string }): Locator;
}
interface Page {
  goto(url: string): Promise<{ status(): number } | null>;
  content(): Promise<string>;
  getByText(text: string | RegExp, options?: { exact?: boolean }): Locator;
  locator(selector: string): Locator;
  getByRole(role: string, options?: { name?: RegExp | string }): Locator;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  on(event: 'console', listener: (message: { text(): string }) => void): void;
  setDefaultTimeout(ms: number): void;
  waitForResponse(predicate: (response: Response) => boolean): Promise<Response>;
}
interface Response {
  url(): string;
  status(): number;
  headers(): Record<string, string>;
  text(): Promise<string>;
}
interface Route {
  request(): { url(): string };
  continue(): Promise<void>;
  abort(): Promise<void>;
}
interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  route(url: string, handler: (route: Route) => unknown): Promise<void>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: {
    launchPersistentContext(userDataDir: string, options: Record<string, unknown>): Promise<BrowserContext>;
  };
}

async function loadPlaywright(): Promise<PlaywrightCore | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium; .ci/setup.sh does it)`;
  const specifier = 'playwright-core';
  try {
    return (await import(specifier)) as PlaywrightCore;
  } catch {
    return 'playwright-core is not installed (it is a devDependency: npm ci)';
  }
}
const playwright = await loadPlaywright();
const skip = typeof playwright === 'string' ? `browser test skipped: ${playwright}` : false;

const COMMIT = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const TRANSITION = '1a2b3c4d5e6f_team-a_orders';
const IDS = {
  suspend: stepJobId(TRANSITION, 0, 'savepoint-suspend'),
  upgrade: stepJobId(TRANSITION, 1, 'upgrade'),
  resume: stepJobId(TRANSITION, 2, 'resume'),
};
const USER = 'ops';
const PASSWORD = 'browser-test-password';

async function waitForState(queue: Queue, jobId: string, state: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let current = await queue.getJobState(jobId);
  while (current !== state) {
    assert.ok(Date.now() < deadline, `job ${jobId} is ${current}, not ${state}, after ${timeoutMs} ms`);
    await sleep(100);
    current = await queue.getJobState(jobId);
  }
}

describe('queue UI in a browser', { skip }, () => {
  let redis: TestRedis;
  let queue: Queue;
  let flows: FlowProducer;
  let worker: Worker;
  let server: RunningServer;
  const ran: string[] = [];
  let upgradeFailuresLeft = 1;

  before(async () => {
    redis = await TestRedis.start();
    const connection = { host: '127.0.0.1', port: redis.port };
    queue = new Queue(STEPS_QUEUE, { connection });
    flows = new FlowProducer({ connection });
    worker = new Worker(
      STEPS_QUEUE,
      async (job: Job<{ action: string }>) => {
        ran.push(job.data.action);
        await job.log(`${job.data.action}: started`);
        await job.updateProgress(50);
        if (job.data.action === 'upgrade' && upgradeFailuresLeft > 0) {
          upgradeFailuresLeft -= 1;
          throw new UnrecoverableError('upgrade of team-a/orders failed: injected savepoint failure');
        }
        await job.updateProgress(100);
        return { action: job.data.action };
      },
      { connection },
    );
    server = await startServer({
      listen: '127.0.0.1:0',
      auth: { basic: { user: USER, password: PASSWORD } },
      queues: [queue],
      onPollRequested: () => {},
      metrics: new FlinkopsMetrics(),
    });
    const step = (action: 'savepoint-suspend' | 'upgrade' | 'resume', id: string) => ({
      name: stepJobName('team-a', 'orders', action, COMMIT),
      queueName: STEPS_QUEUE,
      data: { action },
      opts: { jobId: id },
    });
    await flows.add({
      ...step('resume', IDS.resume),
      children: [{ ...step('upgrade', IDS.upgrade), children: [step('savepoint-suspend', IDS.suspend)] }],
    });
    await waitForState(queue, IDS.upgrade, 'failed');
  });
  after(async () => {
    await server?.close();
    await worker?.close();
    await flows?.close();
    await queue?.close();
    await redis?.stop();
  });

  it('answers 401 without credentials, then retries the failed step from the UI and the flow completes', async () => {
    const pw = playwright as PlaywrightCore;
    const profile = makeTempDir('flinkops-chromium-');
    const launchOptions = {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    };
    const anonymousProfile = makeTempDir('flinkops-chromium-anon-');
    const anonymous = await pw.chromium.launchPersistentContext(anonymousProfile.dir, launchOptions);
    try {
      const page = anonymous.pages()[0] ?? (await anonymous.newPage());
      // headless chromium has nobody to ask for a password: the navigation fails with
      // ERR_INVALID_AUTH_CREDENTIALS, and the server's answer is seen on the response event
      const answered = page.waitForResponse((response) => response.url() === `${server.url}/queues/`);
      const navigation = await page.goto(`${server.url}/queues/`).catch((err: Error) => err);
      const response = await answered;
      assert.equal(response.status(), 401);
      assert.match(String(response.headers()['www-authenticate']), /^Basic/);
      assert.doesNotMatch(await response.text(), /Bull|team-a\/orders/);
      if (navigation instanceof Error) assert.match(navigation.message, /ERR_INVALID_AUTH_CREDENTIALS/);
    } finally {
      await anonymous.close();
      anonymousProfile.cleanup();
    }

    const context = await pw.chromium.launchPersistentContext(profile.dir, {
      ...launchOptions,
      httpCredentials: { username: USER, password: PASSWORD },
      viewport: { width: 1400, height: 900 },
    });
    const offHost: string[] = [];
    const cspViolations: string[] = [];
    try {
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === '127.0.0.1') return route.continue();
        offHost.push(url.href);
        return route.abort();
      });
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      page.setDefaultTimeout(60_000);

      await page.goto(`${server.url}/queues/queue/${STEPS_QUEUE}?status=failed`);
      const jobName = page.getByText('team-a/orders upgrade @1a2b3c4').first();
      await jobName.waitFor({ state: 'visible' });
      await page
        .getByText(/injected savepoint failure/)
        .first()
        .waitFor({ state: 'visible' });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'ui-failed-step.png'), fullPage: true });

      // the job card's actions are icon buttons whose name is only in a tooltip: hover to find Retry
      const retryTip = page.getByText('Retry', { exact: true });
      const triggers = page.locator('[data-base-ui-tooltip-trigger] button');
      let clicked = false;
      for (let i = 0; i < (await triggers.count()) && !clicked; i++) {
        await triggers.nth(i).hover();
        // tooltips open after a hover delay
        const shown = await retryTip
          .first()
          .waitFor({ state: 'visible', timeout: 3000 })
          .then(
            () => true,
            () => false,
          );
        if (shown) {
          await triggers.nth(i).click();
          clicked = true;
        }
      }
      assert.ok(clicked, 'found no button with the tooltip "Retry" on the failed job');
      // the UI may ask "Are you sure that you want to retry this job?"
      const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
      await dialog
        .first()
        .waitFor({ state: 'visible', timeout: 3000 })
        .then(() =>
          dialog
            .first()
            .getByRole('button', { name: /retry|confirm|ok|yes/i })
            .first()
            .click(),
        )
        .catch(() => {});

      await waitForState(queue, IDS.resume, 'completed');
      assert.deepEqual(ran, ['savepoint-suspend', 'upgrade', 'upgrade', 'resume']);

      await page.goto(`${server.url}/queues/queue/${STEPS_QUEUE}?status=completed`);
      await page.getByText('team-a/orders resume @1a2b3c4').first().waitFor({ state: 'visible' });
      await page.screenshot({ path: join(ARTIFACTS, 'ui-flow-completed.png'), fullPage: true });
    } finally {
      await context.close();
      profile.cleanup();
    }
    // the one thing the CSP is meant to stop is the page's Google Fonts stylesheet
    const unexpected = cspViolations.filter((text) => !text.includes('https://fonts.googleapis.com/'));
    assert.deepEqual(unexpected, [], 'the UI ran into the Content-Security-Policy');
    // the CSP keeps the UI from fetching third-party fonts: nothing had to be blocked
    assert.deepEqual(offHost, [], 'the UI tried to reach hosts other than 127.0.0.1');
  });
});
