/**
 * Headless Chromium (Debian's package) for the web page's end-to-end suites. Without it a
 * developer's run skips those suites and says why; under CI=true a missing browser fails.
 */
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"
import { describe, expect } from "vitest"

export const CHROMIUM = "/usr/bin/chromium"

const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots", import.meta.url))

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

const missing = !existsSync(CHROMIUM)
const skipping = missing && process.env.CI !== "true"
if (skipping) {
  console.warn(
    `Skipping the web page's end-to-end tests: ${CHROMIUM} is not installed (Debian package "chromium"). Under CI=true they run and fail instead.`,
  )
}

/** `describe`, skipped (with the warning above) only when Chromium is missing outside CI. */
export const describeInBrowser = describe.skipIf(skipping)

export const launchBrowser = (): Promise<Browser> => {
  if (missing) {
    throw new Error(
      `${CHROMIUM} is missing; the web page's end-to-end tests need Debian's chromium`,
    )
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
}

/** A response a test provokes on purpose; Chromium logs each non-2xx fetch as a console error. */
export interface Provoked {
  readonly status: number
  readonly path: string
}

export interface ConsoleWatch {
  /** Fails unless the console errors since the last check are exactly the provoked responses. */
  readonly expectClean: (provoked?: ReadonlyArray<Provoked>) => void
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d{3})\b/

/** Collects console errors and uncaught exceptions of `page`. */
export const watchConsole = (page: Page): ConsoleWatch => {
  const seen: Array<string> = []
  page.on("console", (message) => {
    if (message.type() !== "error") return
    const failed = FAILED_LOAD.exec(message.text())
    const url = message.location().url
    seen.push(
      failed === null || url === ""
        ? `console error: ${message.text()}`
        : `${failed[1]} ${new URL(url).pathname}`,
    )
  })
  page.on("pageerror", (error) => seen.push(`uncaught: ${error.message}`))
  return {
    expectClean: (provoked = []) => {
      const errors = seen.splice(0).sort()
      expect(errors).toEqual(provoked.map(({ status, path }) => `${status} ${path}`).sort())
    },
  }
}

/** Screenshots for the README (docs/screenshots), written only when TIDEMARK_SCREENSHOTS=1. */
export const saveScreenshot = async (page: Page, name: string, fullPage = true) => {
  if (process.env.TIDEMARK_SCREENSHOTS !== "1") return
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage })
}
