import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

export class DataDirInUse extends Error {}

/**
 * Takes the data directory for this process alone; a second process fails here rather
 * than opening the same embedded database. A lock left by a process that died is taken over.
 */
export const lockDataDir = (dataDir: string): (() => void) => {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, "tidemark.lock")
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx")
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(path, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      const holder = Number.parseInt(readFileSync(path, "utf8"), 10)
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirInUse(
          `TIDEMARK_DATA_DIR: ${dataDir} is in use by another Tidemark process (pid ${holder}); give each process its own data directory, or use PostgreSQL to share one history`,
        )
      }
      rmSync(path, { force: true })
    }
  }
  throw new DataDirInUse(`TIDEMARK_DATA_DIR: could not lock ${dataDir}`)
}
