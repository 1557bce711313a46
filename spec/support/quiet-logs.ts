/**
 * jest setupFiles: the broker's default logger writes warn lines to stderr, and many specs
 * provoke warnings on purpose (bad frames, failing handlers, dead ports). Unless the developer
 * asks for them (`STOMPBOX_LOG_LEVEL=warn npx jest ...`), specs run with the default logger
 * silenced; spec/logger.spec.ts and spec/e2e/default-logger.spec.ts set the level themselves
 * to prove what the default prints.
 */
process.env.STOMPBOX_LOG_LEVEL ??= 'silent';
