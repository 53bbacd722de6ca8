/**
 * Hooks tsrunc runs itself, in the runtime's namespaces: prestart, createRuntime,
 * poststart, poststop. Each gets the state JSON on stdin, its own args and env, and is
 * killed at its timeout. (createContainer and startContainer run in the executor.)
 */
import { TsruncError } from "./errors.ts";
import type { HookSpec } from "./state/store.ts";

/** Run hooks in order; the first failure throws, naming the hook. */
export async function runHooks(
  kind: string,
  hooks: readonly HookSpec[],
  state: string,
): Promise<void> {
  for (const hook of hooks) await runHook(kind, hook, state);
}

async function runHook(kind: string, hook: HookSpec, state: string): Promise<void> {
  const args = hook.args ?? [hook.path];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(hook.path, {
      args: args.slice(1),
      env: Object.fromEntries((hook.env ?? []).map(splitEnv)),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new TsruncError(`${kind} hook ${hook.path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let timedOut = false;
  const timer = hook.timeout
    ? setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, hook.timeout * 1000)
    : undefined;
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(state));
    await writer.close();
  } catch {
    // a hook need not read its stdin
  }
  const output = await child.output();
  if (timer !== undefined) clearTimeout(timer);
  if (timedOut) {
    throw new TsruncError(`${kind} hook ${hook.path} did not finish within ${hook.timeout} s`);
  }
  if (!output.success) {
    const text = new TextDecoder().decode(output.stderr).trim() ||
      new TextDecoder().decode(output.stdout).trim();
    const how = output.signal ? `killed by ${output.signal}` : `exited with status ${output.code}`;
    throw new TsruncError(
      `${kind} hook ${hook.path} ${how}${text ? `: ${text.split("\n").join(" ")}` : ""}`,
    );
  }
}

function splitEnv(entry: string): [string, string] {
  const at = entry.indexOf("=");
  return at < 0 ? [entry, ""] : [entry.slice(0, at), entry.slice(at + 1)];
}
