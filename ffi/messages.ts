/** Message and phase codes of the sync socket; libcore/sync.h and plan.h have the same. */

/** Message types. */
export const MSG = { PID: 1, PHASE: 2, ERROR: 3, GO: 4, CONSOLE: 5, SECCOMP: 6 } as const;

/** Flag in an error message's `b`: the text is complete without the errno's. */
export const ERROR_EXPLAINED = 0x10000;
