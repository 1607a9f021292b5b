/**
 * Bundles the Workers entry (src/worker.ts) into dist/worker/worker.js, one ES module for
 * workerd with the `nodejs_compat` flag: `pg` reaches PostgreSQL over `cloudflare:sockets`.
 */
import { mkdirSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build, type Plugin } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))
export const workerOutFile = `${root}dist/worker/worker.js`

/**
 * Packages the worker never reaches, left out with a stand-in that says why if it were:
 * the embedded database (and its WebAssembly) opens only when DATABASE_URL is not
 * PostgreSQL, which the worker refuses before any request is served; undici carries the
 * Node entry's upstream calls, where the worker's go through `fetch`.
 */
const NOT_IN_WORKERS: Readonly<Record<string, string>> = {
  "@electric-sql/pglite": `const unavailable = () => {
  throw new Error("embedded PGlite is not part of the Workers build: set DATABASE_URL to PostgreSQL")
}
export class PGlite {
  constructor() { unavailable() }
  static create() { unavailable() }
}`,
  undici: `export class Agent {
  constructor() { throw new Error("undici is not part of the Workers build: upstream calls use fetch") }
}`,
}

const withoutNodeOnly: Plugin = {
  name: "without-node-only",
  setup(bundle) {
    bundle.onResolve({ filter: /^(@electric-sql\/pglite|undici)$/ }, (args) => ({
      path: args.path,
      namespace: "not-in-workers",
    }))
    bundle.onLoad({ filter: /.*/, namespace: "not-in-workers" }, (args) => ({
      contents: NOT_IN_WORKERS[args.path] ?? "",
      loader: "js",
    }))
  },
}

const EXTERNAL = ["cloudflare:sockets", "pg-native"]
const PROBED = Symbol("probed")

/**
 * Libraries that support several schema vendors (hono-openapi's) probe for the ones that
 * are installed with `import()`. A vendor that is not installed becomes a module that
 * fails to load, as the same `import()` fails in Node, instead of a dangling import that
 * workerd refuses to load the bundle for.
 */
const missingOptionalImports: Plugin = {
  name: "missing-optional-imports",
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== "dynamic-import" || args.pluginData === PROBED) return undefined
      if (EXTERNAL.includes(args.path)) return undefined
      const found = await bundle.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: PROBED,
      })
      return found.errors.length === 0 ? undefined : { path: args.path, namespace: "not-installed" }
    })
    bundle.onLoad({ filter: /.*/, namespace: "not-installed" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not installed`)})`,
      loader: "js",
    }))
  },
}

export const buildWorker = async (outfile = workerOutFile) => {
  mkdirSync(new URL(".", pathToFileURL(outfile)), { recursive: true })
  await build({
    absWorkingDir: root,
    entryPoints: ["src/worker.ts"],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    // workerd's exports condition picks pg-cloudflare's socket over node:net.
    conditions: ["workerd", "worker"],
    external: EXTERNAL,
    // pg is CommonJS: esbuild turns its `require("events")` into a dynamic require, which
    // workerd refuses unless `require` exists; nodejs_compat's node:module provides one.
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire("/");',
    },
    plugins: [withoutNodeOnly, missingOptionalImports],
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  })
  return outfile
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildWorker()
}
