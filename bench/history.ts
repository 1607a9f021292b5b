/**
 * Reading what a target recorded: straight from PostgreSQL, or through Tidemark's history
 * routes where the database is embedded in the process (PGlite).
 */
import { countVersions, type RecordedVersion, readVersions } from "./postgres.js"

export interface HistoryReader {
  readonly count: (prefix: string) => Promise<number>
  readonly read: (prefix: string) => Promise<Array<RecordedVersion>>
}

export const postgresHistory = (url: string, engine: "tidemark" | "naive"): HistoryReader => ({
  count: (prefix) => countVersions(url, engine, prefix),
  read: (prefix) => readVersions(url, engine, prefix),
})

interface ResourceItem {
  readonly id: string
  readonly params: { readonly key?: unknown }
  readonly latestVersion: number
}

const getJson = async <A>(url: string): Promise<A> => {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`)
  return (await response.json()) as A
}

/** Every resource of `sources` whose `key` param starts with `prefix`. */
const resources = async (baseUrl: string, sources: ReadonlyArray<string>, prefix: string) => {
  const found: Array<ResourceItem> = []
  for (const source of sources) {
    let cursor: string | null = null
    do {
      const page: { items: Array<ResourceItem>; nextCursor: string | null } = await getJson(
        `${baseUrl}/v1/resources?source=${source}&limit=500${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
      )
      for (const item of page.items) {
        if (typeof item.params.key === "string" && item.params.key.startsWith(prefix))
          found.push(item)
      }
      cursor = page.nextCursor
    } while (cursor !== null)
  }
  return found
}

/** Runs `work` over `items`, `width` at a time. */
const eachLimited = async <A, B>(
  items: ReadonlyArray<A>,
  width: number,
  work: (item: A) => Promise<B>,
): Promise<Array<B>> => {
  const results: Array<B> = []
  let next = 0
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      const item = items[index]
      if (item !== undefined) results[index] = await work(item)
    }
  }
  await Promise.all(Array.from({ length: width }, worker))
  return results
}

export const httpHistory = (baseUrl: string, sources: ReadonlyArray<string>): HistoryReader => ({
  count: async (prefix) =>
    (await resources(baseUrl, sources, prefix)).reduce((sum, item) => sum + item.latestVersion, 0),
  read: async (prefix) => {
    const wanted = (await resources(baseUrl, sources, prefix)).flatMap((item) =>
      Array.from({ length: item.latestVersion }, (_, i) => ({
        id: item.id,
        key: String(item.params.key),
        version: i + 1,
      })),
    )
    return eachLimited(wanted, 8, async ({ id, key, version }) => {
      const detail: {
        recordedAt: string
        body: { servedAt: number }
        tracked: { generation: number }
      } = await getJson(`${baseUrl}/v1/resources/${id}/versions/${version}`)
      return {
        key,
        version,
        generation: detail.tracked.generation,
        servedAt: detail.body.servedAt,
        recordedAt: Date.parse(detail.recordedAt),
      }
    })
  },
})
