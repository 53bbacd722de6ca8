/** `tsrunc --version`: runc's lines, read from a file the build writes (no FFI, no spawn). */
import { versionJsonUrl } from "../ffi/paths.ts";
import { OCI_VERSION } from "../core/state/oci_state.ts";

/** The tsrunc release. */
export const VERSION = "0.1.0";

/** What the build recorded: commit and libseccomp version. */
export function buildInfo(): { commit?: string; libseccomp?: string } {
  try {
    return JSON.parse(Deno.readTextFileSync(versionJsonUrl()));
  } catch {
    return {}; // a source checkout that was not built yet
  }
}

/** The version text. */
export function versionText(): string {
  const info = buildInfo();
  return `tsrunc version ${VERSION}
commit: ${info.commit ?? "unknown"}
spec: ${OCI_VERSION}
deno: ${Deno.version.deno}
libseccomp: ${info.libseccomp ?? "unknown"}
`;
}
