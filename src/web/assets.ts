/** The bundled page assets, read once at start-up from where `npm run build:web` puts them. */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface WebAssets {
  readonly script: string
  readonly style: string
}

export const defaultAssetsDir = fileURLToPath(new URL("../../dist/web", import.meta.url))

export const loadWebAssets = (dir = defaultAssetsDir): WebAssets | undefined => {
  try {
    return {
      script: readFileSync(`${dir}/app.js`, "utf8"),
      style: readFileSync(`${dir}/style.css`, "utf8"),
    }
  } catch {
    return undefined
  }
}
