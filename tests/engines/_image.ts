/**
 * Build an OCI image archive (an image layout in a tar, what `ctr images import`,
 * `docker load` and `podman load` read) from a root filesystem directory, without a
 * registry: one uncompressed layer (the rootfs, numeric owners), an image config, a
 * manifest, index.json (with the image's name in the annotations containerd reads) and
 * oci-layout.
 */

/** The rootfs the engine tests use: $TSRUNC_TEST_BUNDLE/rootfs, else build/bundle/rootfs. */
export function testRootfs(): string {
  const bundle = Deno.env.get("TSRUNC_TEST_BUNDLE") ??
    new URL("../../build/bundle", import.meta.url).pathname;
  return `${bundle}/rootfs`;
}

/** What `buildImageArchive` wrote. */
export interface ImageArchive {
  /** The tar file (an OCI image layout). */
  path: string;
  /** The image's full name, e.g. docker.io/tsrunc/busybox:test. */
  name: string;
  /** Digest of the manifest (sha256:...). */
  manifest: string;
}

/** The OCI (Go) name of this machine's architecture. */
const ARCH = ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch] ??
  Deno.build.arch;

async function sha256(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Write an OCI image archive of `rootfs` to `dir`/image.tar (working files go to
 * `dir`/layout). `name` is the image reference containerd will list, e.g.
 * "docker.io/tsrunc/busybox:test".
 */
export async function buildImageArchive(
  rootfs: string,
  dir: string,
  name: string,
): Promise<ImageArchive> {
  const layout = `${dir}/layout`;
  const blobs = `${layout}/blobs/sha256`;
  Deno.mkdirSync(blobs, { recursive: true });
  const layerTmp = `${dir}/layer.tar`;
  await run("tar", ["--numeric-owner", "--xattrs", "-C", rootfs, "-cf", layerTmp, "."]);
  const layer = Deno.readFileSync(layerTmp);
  const layerDigest = await sha256(layer);
  Deno.renameSync(layerTmp, `${blobs}/${layerDigest}`);

  const blob = async (json: unknown): Promise<{ digest: string; size: number }> => {
    const data = new TextEncoder().encode(JSON.stringify(json));
    const digest = await sha256(data);
    Deno.writeFileSync(`${blobs}/${digest}`, data);
    return { digest: `sha256:${digest}`, size: data.length };
  };

  const config = await blob({
    created: "2024-01-01T00:00:00Z",
    architecture: ARCH,
    os: "linux",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["sh"],
      WorkingDir: "/",
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
    history: [{ created: "2024-01-01T00:00:00Z", created_by: "tsrunc tests/engines/_image.ts" }],
  });
  const manifest = await blob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: `sha256:${layerDigest}`,
      size: layer.length,
    }],
  });
  const tag = name.slice(name.lastIndexOf(":") + 1);
  Deno.writeTextFileSync(
    `${layout}/index.json`,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        platform: { architecture: ARCH, os: "linux" },
        annotations: {
          "io.containerd.image.name": name,
          "org.opencontainers.image.ref.name": tag,
        },
      }],
    }),
  );
  Deno.writeTextFileSync(`${layout}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const path = `${dir}/image.tar`;
  await run("tar", ["-C", layout, "-cf", path, "oci-layout", "index.json", "blobs"]);
  Deno.removeSync(layout, { recursive: true });
  return { path, name, manifest: manifest.digest };
}
