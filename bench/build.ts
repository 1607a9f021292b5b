/**
 * Every measured target runs as bundled JavaScript, as `npm start` runs Tidemark: the
 * server bundle, and the comparison targets built the same way into dist/bench/.
 */
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { buildServer, serverOutFile } from "../scripts/build-server.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const COMPARED = ["bare", "raw", "naive"] as const

export const buildTargets = async () => {
  await Promise.all([
    buildServer(),
    build({
      absWorkingDir: root,
      entryPoints: COMPARED.map((name) => `bench/targets/${name}.ts`),
      outdir: `${root}dist/bench`,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      logLevel: "warning",
    }),
  ])
}

/** The script a target runs, relative to the repository. */
export const targetScript = (name: string, isTidemark: boolean) =>
  isTidemark ? serverOutFile.slice(root.length) : `dist/bench/${name}.js`
