// One JSON line per log entry on stdout, which Lambda sends to CloudWatch Logs (and Logs Insights can
// query by field). The webhook function uses it so that it does not load pino for a handful of lines.
import type { LogFn, Logger } from '../log.js';

/** pino's level numbers, so that one LOG_LEVEL means the same in both functions. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
type Level = keyof Logger;

/** The lowest level written: LOG_LEVEL's, or info for none or an unknown one. */
function threshold(name: string | undefined): number {
  return name !== undefined && Object.hasOwn(LEVELS, name) ? LEVELS[name as keyof typeof LEVELS] : LEVELS.info;
}

/**
 * Errors as a few plain fields: JSON.stringify writes an Error as `{}`, and whole error objects may carry
 * what must not be logged (an Octokit error holds its request, authorization header included).
 */
function plain(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return {
    name: value.name,
    message: value.message,
    ...('code' in value && { code: value.code }),
    ...('status' in value && { status: value.status }),
    // Probot reports the failures of an event's handlers together.
    ...(value instanceof AggregateError && { errors: value.errors.map(plain) }),
  };
}

export function jsonLogger(options: { level?: string; write?: (line: string) => void } = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const lowest = threshold(options.level);
  const at = (level: Level): LogFn =>
    ((detailsOrMessage: object | string, message?: string) => {
      if (LEVELS[level] < lowest) return;
      const details = typeof detailsOrMessage === 'string' ? {} : detailsOrMessage;
      const fields = Object.fromEntries(Object.entries(details).map(([key, value]) => [key, plain(value)]));
      write(JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: typeof detailsOrMessage === 'string' ? detailsOrMessage : message }));
    }) as LogFn;
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
