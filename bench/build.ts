/**
 * Every measured target runs as bundled JavaScript, as `npm start` runs Tidemark: the
 * server bundle, and the comparison targets built the same way into dist/bench/.
 */
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { buildServer, startArguments } from "../scripts/build-server.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const COMPARED = ["bare", "raw", "hono-node", "naive"] as const

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

/** How a target is run: Tidemark as `npm start` runs it (flags and bundle), the others plainly. */
export const targetCommand = (
  name: string,
  isTidemark: boolean,
): { readonly script: string; readonly nodeArgs: ReadonlyArray<string> } => {
  if (!isTidemark) return { script: `dist/bench/${name}.js`, nodeArgs: [] }
  const started = startArguments()
  return { script: started.at(-1) ?? "", nodeArgs: started.slice(0, -1) }
}
