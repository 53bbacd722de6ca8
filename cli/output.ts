/** Writing command output to stdout. */

/** Write all of text to stdout. */
export function writeOut(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
