// One long-lived `git cat-file --batch-command --buffer` per plan: reading 10,000 blobs through it costs
// one process instead of 10,000. `info` answers sizes/types without content, so size caps are checked
// before a byte of a big file is read. Works on bare repositories (the poller's mirror) and never writes.
// The poller keeps one open across polls (RepoMirror.objectReader): git looks refs up afresh on every
// request and rescans its packs when an object is missing, so objects and refs a later fetch brought
// are found. While no answer is awaited the process does not keep node's event loop alive.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface ObjectInfo {
  oid: string;
  type: string;
  size: number;
}

export interface ObjectContent extends ObjectInfo {
  content: Buffer;
}

type Pending =
  | { kind: 'info'; resolve: (value: ObjectInfo | null) => void; reject: (err: Error) => void }
  | { kind: 'contents'; resolve: (value: ObjectContent | null) => void; reject: (err: Error) => void };

export class GitObjectReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitObjectReaderError';
  }
}

/** Object names are written one per line to git's stdin: anything with a line break could inject a command. */
function assertSafeObjectName(name: string): void {
  if (name.length === 0 || /[\n\r\0]/.test(name)) {
    throw new GitObjectReaderError(`invalid git object name ${JSON.stringify(name)}`);
  }
}

export class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;
  private failure: Error | null = null;
  private stderr = '';

  constructor(readonly repoDir: string) {
    this.child = spawn('git', ['cat-file', '--batch-command', '--buffer'], {
      cwd: repoDir,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString('utf8');
    });
    this.child.on('error', (err) =>
      this.fail(new GitObjectReaderError(`git cat-file in ${repoDir}: ${err.message}`)),
    );
    this.child.on('exit', (code) => {
      if (!this.closed || this.queue.length > 0) {
        this.fail(
          new GitObjectReaderError(
            `git cat-file in ${repoDir} exited with ${code}${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
          ),
        );
      }
    });
    // a closed pipe surfaces as 'exit' above; without this listener EPIPE would be an uncaught error
    this.child.stdin.on('error', () => {});
    this.holdEventLoop(false);
  }

  /** No answer is awaited. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** False once the process failed or was closed: a long-lived owner then starts a new reader. */
  get usable(): boolean {
    return !this.closed && !this.failure;
  }

  /** An idle reader must not keep the process alive; one with answers due must. */
  private holding = true;
  private holdEventLoop(hold: boolean): void {
    if (hold === this.holding) return;
    this.holding = hold;
    // the pipes are sockets (ref/unref), though typed as plain streams
    const { stdin, stdout, stderr } = this.child;
    for (const handle of [this.child, stdin, stdout, stderr] as { ref?(): void; unref?(): void }[]) {
      if (hold) handle.ref?.();
      else handle.unref?.();
    }
  }

  /** Type and size of many objects (null for a missing one), answered in order. */
  info(names: readonly string[]): Promise<(ObjectInfo | null)[]> {
    return this.requestMany('info', names) as Promise<(ObjectInfo | null)[]>;
  }

  /** Contents of many objects (null for a missing one), answered in order. */
  contents(names: readonly string[]): Promise<(ObjectContent | null)[]> {
    return this.requestMany('contents', names) as Promise<(ObjectContent | null)[]>;
  }

  /**
   * One promise per object, each settled as soon as its bytes arrive: a caller awaiting them in order
   * works on the first blobs while git is still sending the rest (git and node on separate cores).
   */
  contentsEach(names: readonly string[]): Promise<ObjectContent | null>[] {
    return this.enqueue('contents', names) as Promise<ObjectContent | null>[];
  }

  /** Resolves a revision to its commit id, or null when git does not know it. */
  async resolveCommit(revision: string): Promise<string | null> {
    const [found] = await this.info([`${revision}^{commit}`]);
    return found && found.type === 'commit' ? found.oid : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin.end();
  }

  /** Queues one answer per name and writes all the commands at once (one pipe write, not thousands). */
  private requestMany(
    kind: 'info' | 'contents',
    names: readonly string[],
  ): Promise<(ObjectInfo | ObjectContent | null)[]> {
    try {
      return Promise.all(this.enqueue(kind, names));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private enqueue(
    kind: 'info' | 'contents',
    names: readonly string[],
  ): Promise<ObjectInfo | ObjectContent | null>[] {
    if (this.failure) throw this.failure;
    if (this.closed) throw new GitObjectReaderError('blob reader is closed');
    if (names.length === 0) return [];
    for (const name of names) assertSafeObjectName(name);
    const answers = names.map(
      (_name) =>
        new Promise<ObjectInfo | ObjectContent | null>((resolve, reject) => {
          this.queue.push({ kind, resolve, reject } as Pending);
        }),
    );
    this.holdEventLoop(true);
    this.child.stdin.write(`${names.map((name) => `${kind} ${name}`).join('\n')}\n`);
    this.scheduleFlush();
    return answers;
  }

  private flushScheduled = false;
  /** --buffer holds answers until `flush`: one flush per tick lets a batch of requests travel together. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.closed && !this.failure) this.child.stdin.write('flush\n');
    });
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const pending of this.queue.splice(0)) pending.reject(err);
    this.holdEventLoop(false);
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    let data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    while (this.queue.length > 0) {
      const newline = data.indexOf(10, offset);
      if (newline < 0) break;
      const header = data.toString('utf8', offset, newline);
      const pending = this.queue[0];
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.queue.shift();
        offset = newline + 1;
        pending.resolve(null);
        continue;
      }
      const [oid, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (!oid || !type || !Number.isFinite(size)) {
        this.fail(
          new GitObjectReaderError(`unexpected git cat-file output: ${JSON.stringify(header.slice(0, 200))}`),
        );
        return;
      }
      if (pending.kind === 'info') {
        this.queue.shift();
        offset = newline + 1;
        pending.resolve({ oid, type, size });
        continue;
      }
      // contents: header, <size> bytes, then a newline
      if (data.length < newline + 1 + size + 1) break;
      // a view, not a copy: the chunk it points into is released once every blob in it is parsed
      const content = data.subarray(newline + 1, newline + 1 + size);
      this.queue.shift();
      offset = newline + 1 + size + 1;
      pending.resolve({ oid, type, size, content });
    }
    if (this.queue.length === 0) this.holdEventLoop(false);
    if (offset === 0) {
      this.chunks = [data];
      return;
    }
    data = data.subarray(offset);
    this.chunks = data.length > 0 ? [data] : [];
    this.buffered = data.length;
  }
}
