// Structured JSON logs (winston). One root logger per process, children per component:
// `logger.child({ component: 'nri' })`. Level from the typed config (never from process.env here).
import winston from 'winston';

export type Logger = winston.Logger;

/** The levels the programs accept for --log-level, most severe first. */
export const LOG_LEVELS: readonly string[] = ['error', 'warn', 'info', 'debug'];

export function createLogger(opts: { level?: string; component?: string; silent?: boolean } = {}): Logger {
  return winston.createLogger({
    level: opts.level ?? 'info',
    silent: opts.silent ?? false,
    defaultMeta: opts.component ? { component: opts.component } : {},
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [
      new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose'] }),
    ],
  });
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}
