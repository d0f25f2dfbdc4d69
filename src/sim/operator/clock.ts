// Simulated time. The simulator reasons in simulated milliseconds so that a savepoint "takes 2 s"
// whatever the speed; `speed` only decides how many real milliseconds that is. Status timestamps the
// operator writes (startTime, reconciliationTimestamp...) stay wall-clock, like the real operator's.

export class SimClock {
  private realBase = Date.now();
  private simBase: number;

  constructor(readonly speed = 1) {
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new Error(`simulator speed must be a positive number, got ${speed}`);
    this.simBase = this.realBase;
  }

  /** simulated epoch milliseconds */
  now(): number {
    return this.simBase + (Date.now() - this.realBase) * this.speed;
  }

  /** real milliseconds until simulated time `simAt` (0 when already due) */
  realDelayUntil(simAt: number): number {
    return Math.max(0, (simAt - this.now()) / this.speed);
  }

  /** continue from a simulated instant saved by an earlier run (`flinkops sim --state`) */
  resumeAt(simNow: number): void {
    this.realBase = Date.now();
    this.simBase = simNow;
  }
}

/** simulated durations of the things a Flink cluster does slowly (human pace at speed 1) */
export const SIM_DURATIONS = {
  jobManagerDeploy: 3_000,
  /** JM pod up but its REST endpoint not answering yet: DEPLOYED_NOT_READY for this long */
  jobManagerRestReady: 1_000,
  jobStart: 2_000,
  savepoint: 2_000,
  /** the operator's reconcile interval (Helm default 15 s): periodic passes and retries */
  reconcileInterval: 15_000,
} as const;

/** records a simulated job processes per simulated second while RUNNING */
export const RECORDS_PER_SECOND = 100;
