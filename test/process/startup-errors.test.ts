import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, it } from "vitest"
import { runToExit, stopAll } from "../support/server.js"

const scratch = mkdtempSync(join(tmpdir(), "tidemark-startup-"))
const invalidJson = join(scratch, "invalid.json")
writeFileSync(invalidJson, '{ "sources": { "btc": ')
const missing = join(scratch, "missing.sources.json")

const source = (spec: Record<string, unknown>) => JSON.stringify({ sources: { btc: spec } })

interface StartupError {
  readonly fault: string
  readonly env?: Record<string, string>
  readonly sources?: string
  /** What the one line on stderr must name. */
  readonly names: string
}

const cases: ReadonlyArray<StartupError> = [
  {
    fault: "a param type that is not one of the four",
    sources: source({
      url: "http://127.0.0.1:9/prices/{pair}",
      params: { pair: { type: "text" } },
    }),
    names: "sources.btc.params.pair.type",
  },
  {
    fault: "a sources file that is not JSON",
    env: { TIDEMARK_SOURCES: invalidJson },
    names: invalidJson,
  },
  {
    fault: "a sources file that does not exist",
    env: { TIDEMARK_SOURCES: missing },
    names: "TIDEMARK_SOURCES",
  },
  { fault: "PORT=abc", env: { PORT: "abc" }, names: "PORT" },
  { fault: "LOG_LEVEL=loud", env: { LOG_LEVEL: "loud" }, names: "LOG_LEVEL" },
  {
    fault: "TIDEMARK_RECORDER_QUEUE_MAX=-1",
    env: { TIDEMARK_RECORDER_QUEUE_MAX: "-1" },
    names: "TIDEMARK_RECORDER_QUEUE_MAX",
  },
  {
    fault: "TIDEMARK_DB_POOL_SIZE=0",
    env: { TIDEMARK_DB_POOL_SIZE: "0" },
    names: "TIDEMARK_DB_POOL_SIZE",
  },
  { fault: "DATABASE_URL=mysql://x", env: { DATABASE_URL: "mysql://x" }, names: "DATABASE_URL" },
  {
    fault: "a header that refers to an unset variable",
    sources: source({
      url: "http://127.0.0.1:9/prices",
      headers: { Authorization: `Bearer \${env:MISSING_TOKEN}` },
    }),
    names: "MISSING_TOKEN",
  },
]

describe("start-up with a bad variable or sources file", () => {
  afterAll(async () => {
    await stopAll()
    rmSync(scratch, { recursive: true, force: true })
  })

  it.concurrent.for(cases)(
    "$fault: exits non-zero before opening the database, with one line naming $names",
    { timeout: 120_000 },
    async ({ env = {}, sources, names }, { expect }) => {
      const dataDir = join(mkdtempSync(join(scratch, "case-")), "data")
      const ended = await runToExit({
        env: { TIDEMARK_DATA_DIR: dataDir, ...env },
        ...(sources === undefined ? {} : { sources }),
      })
      expect(ended.signal).toBeNull()
      expect(ended.code).not.toBe(0)
      expect(ended.stderr.trim().split("\n")).toHaveLength(1)
      expect(ended.stderr).toContain(names)
      expect(ended.stdout).not.toContain("tidemark listening")
      expect(existsSync(dataDir)).toBe(false)
    },
  )
})
