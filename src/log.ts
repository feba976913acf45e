// The logging interface the core needs: a subset of pino's, so Probot's logger fits as is.
export interface LogFn {
  (message: string): void;
  (details: object, message?: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
