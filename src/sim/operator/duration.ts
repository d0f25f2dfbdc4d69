// Flink duration strings ("10s", "1 min", "500 ms", "2 h", plain milliseconds) as Flink's TimeUtils reads them.

const UNITS: [string[], number][] = [
  [['d', 'day', 'days'], 86_400_000],
  [['h', 'hour', 'hours'], 3_600_000],
  [['min', 'm', 'minute', 'minutes'], 60_000],
  [['s', 'sec', 'secs', 'second', 'seconds'], 1_000],
  [['ms', 'milli', 'millis', 'millisecond', 'milliseconds'], 1],
  [['µs', 'us', 'micro', 'micros', 'microsecond', 'microseconds'], 0.001],
  [['ns', 'nano', 'nanos', 'nanosecond', 'nanoseconds'], 0.000_001],
];

/** milliseconds, or throws with the offending text */
export function parseFlinkDuration(text: string): number {
  const match = /^\s*(\d+)\s*([a-zA-Zµ]*)\s*$/.exec(text);
  if (!match)
    throw new Error(`Could not parse duration "${text}": expected a number followed by an optional unit`);
  const amount = Number(match[1]);
  const unit = match[2].toLowerCase();
  if (unit === '') return amount;
  for (const [names, factor] of UNITS) {
    if (names.includes(unit)) return amount * factor;
  }
  throw new Error(`Could not parse duration "${text}": unknown time unit "${match[2]}"`);
}

/** like parseFlinkDuration but returns undefined for absent or unparseable values */
export function optionalDuration(text: string | undefined): number | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  try {
    return parseFlinkDuration(String(text));
  } catch {
    return undefined;
  }
}
