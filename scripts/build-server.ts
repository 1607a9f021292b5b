/**
 * Bundles the Node entry (src/main.ts) into dist/node/main.js, which `npm start` runs: plain
 * JavaScript needs no transpiler in the serving process, which saves it memory and start-up.
 * Packages stay imports, resolved from node_modules; a linked source map sits beside it
 * (`NODE_OPTIONS=--enable-source-maps` maps stack traces back to src/).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))
/** Two levels below the root, like src/web/, so paths relative to modules resolve the same. */
export const serverOutFile = `${root}dist/node/main.js`

export const buildServer = async (outfile = serverOutFile) => {
  await build({
    absWorkingDir: root,
    entryPoints: ["src/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
  })
}

/**
 * The arguments `npm start` gives node (its flags, then the bundle), read from package.json
 * so that tests and benchmarks start the server exactly as users do.
 */
export const startArguments = (): ReadonlyArray<string> => {
  const { scripts } = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
    scripts: Record<string, string>
  }
  const words = (scripts.start ?? "").split(/\s+/).filter(Boolean)
  const node = words.indexOf("node")
  if (node < 0) throw new Error("package.json: the start script does not run node")
  return words.slice(node + 1)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildServer()
}
