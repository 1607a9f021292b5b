/**
 * Bundles the Node entry (src/main.ts) into dist/node/main.js, which `npm start` runs: plain
 * JavaScript needs no transpiler in the serving process, which saves it memory and start-up.
 * Packages stay imports, resolved from node_modules; a linked source map sits beside it
 * (`NODE_OPTIONS=--enable-source-maps` maps stack traces back to src/).
 */
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildServer()
}
