/** Tidemark's own counters, read from its Prometheus endpoint when it has one. */

export type Metrics = ReadonlyMap<string, number>

/** `name{labels} value` lines, keyed by `name{labels}` exactly as written; undefined without /metrics. */
export const readMetrics = async (baseUrl: string): Promise<Metrics | undefined> => {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
    if (!response.ok) return undefined
    const values = new Map<string, number>()
    for (const line of (await response.text()).split("\n")) {
      const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)/.exec(line)
      if (match?.[1] !== undefined) values.set(match[1], Number(match[2]))
    }
    return values
  } catch {
    return undefined
  }
}

export const recorderPending = (metrics: Metrics) => metrics.get("tidemark_recorder_queue_depth")

/** Recordings with `outcome` so far, summed over any other labels. */
export const recordingsWith = (metrics: Metrics | undefined, outcome: string) => {
  let sum = 0
  for (const [key, value] of metrics ?? []) {
    if (key.startsWith("tidemark_recordings_total{") && key.includes(`outcome="${outcome}"`))
      sum += value
  }
  return sum
}
