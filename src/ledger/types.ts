// The savepoint ledger: where every savepoint flinkops took or observed went. Durable in Git,
// cached in Redis (design.md folder table).

export interface LedgerEntry {
  namespace: string;
  name: string;
  path: string;
  /** ISO-8601 */
  takenAt: string;
  /** the commit whose transition caused the savepoint */
  commit: string;
  /** the step action that took or observed it */
  step: 'savepoint' | 'savepoint-suspend' | 'guarded-delete' | 'suspend' | 'observed';
  /** the step job id, so a re-run can find its own entry */
  jobId?: string;
}

export interface Ledger {
  /** idempotent: the same (namespace, name, path) is recorded once */
  record(entry: LedgerEntry): Promise<void>;
  /** entries for one deployment (or all), newest first */
  list(key?: string): Promise<LedgerEntry[]>;
  newest(namespace: string, name: string): Promise<LedgerEntry | null>;
}
