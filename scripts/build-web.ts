/** Bundles the web page's client module and styles into dist/web (run by `npm start`). */
import { mkdirSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))
export const webOutDir = `${root}dist/web`

export const buildWeb = async (outdir = webOutDir) => {
  mkdirSync(outdir, { recursive: true })
  await build({
    absWorkingDir: root,
    entryPoints: { app: "src/web/client/main.ts", style: "src/web/client/style.css" },
    outdir,
    bundle: true,
    format: "esm",
    target: ["es2022", "chrome120", "firefox120", "safari16"],
    minify: true,
    sourcemap: false,
    legalComments: "linked",
    logLevel: "warning",
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildWeb()
}
