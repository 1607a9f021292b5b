/**
 * What lets the app run where only fetch exists: no Node built-in module among its top-level
 * imports, and the portable replacements agree with Node's own.
 */
import { createHash } from "node:crypto"
import { builtinModules } from "node:module"
import { build, type Metafile } from "esbuild"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { portableSha256Hex, sha256Hex } from "../../src/core/canonical.js"
import { hexToBase64url } from "../../src/core/params.js"

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

/** Node built-ins reached from `entry` through static imports (dynamic ones load on demand). */
const nodeBuiltinsReached = async (entry: string): Promise<Array<string>> => {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    outfile: "graph.js",
    logLevel: "silent",
    plugins: [
      {
        name: "builtins-are-external",
        setup: (bundle) =>
          // What is imported dynamically is not followed: it loads only when its code runs.
          bundle.onResolve({ filter: /.*/ }, ({ path, kind }) =>
            builtins.has(path) || kind === "dynamic-import" ? { path, external: true } : undefined,
          ),
      },
    ],
  })
  const inputs: Metafile["inputs"] = metafile.inputs
  const reached: Array<string> = []
  const seen = new Set<string>()
  const pending = [entry]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    for (const imported of inputs[file]?.imports ?? []) {
      if (imported.kind === "dynamic-import") continue
      if (imported.external) reached.push(`${imported.path} (imported by ${file})`)
      else pending.push(imported.path)
    }
  }
  return reached
}

describe("portability", () => {
  it.each(["src/http/app.ts", "src/worker.ts"])(
    "%s reaches no Node built-in module through its static imports",
    async (entry) => {
      expect(await nodeBuiltinsReached(entry)).toEqual([])
    },
  )

  it("the portable base64url agrees with Buffer's for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buffer = Buffer.from(bytes)
        expect(hexToBase64url(buffer.toString("hex"))).toBe(buffer.toString("base64url"))
      }),
    )
  })

  it("the portable SHA-256 and the one in use agree with node:crypto for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        const expected = createHash("sha256").update(text).digest("hex")
        expect(portableSha256Hex(text)).toBe(expected)
        expect(sha256Hex(text)).toBe(expected)
      }),
    )
  })
})
