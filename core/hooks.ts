/**
 * Hooks tsrunc runs itself, in the runtime's namespaces: prestart, createRuntime,
 * poststart, poststop. Each gets the state JSON on stdin, its own args and env, and is
 * killed at its timeout. (createContainer and startContainer run in the executor.)
 */
import { TsruncError, wrapError } from "../base/errors.ts";
import type { HookSpec } from "./state/store.ts";
import * as libcore from "../ffi/libcore.ts";

/** Run hooks in order; the first failure throws, naming the hook. */
export async function runHooks(
  kind: string,
  hooks: readonly HookSpec[],
  state: string,
): Promise<void> {
  for (const hook of hooks) await runHook(kind, hook, state);
}

async function runHook(kind: string, hook: HookSpec, state: string): Promise<void> {
  // argv[0] is args[0] as the config gives it (Docker's libnetwork hook relies on it).
  const argv = hook.args ?? [hook.path];
  let result: libcore.HookResult;
  try {
    result = await libcore.runHook(
      hook.path,
      argv,
      hook.env ?? [],
      state,
      (hook.timeout ?? 0) * 1000,
    );
  } catch (error) {
    throw wrapError(`${kind} hook ${hook.path}`, error);
  }
  if (result.timedOut) {
    throw new TsruncError(`${kind} hook ${hook.path} did not finish within ${hook.timeout} s`);
  }
  if (result.code !== 0) {
    const text = result.output.trim();
    const how = result.signal
      ? `killed by signal ${result.signal}`
      : `exited with status ${result.code}`;
    throw new TsruncError(
      `${kind} hook ${hook.path} ${how}${text ? `: ${text.split("\n").join(" ")}` : ""}`,
    );
  }
}
