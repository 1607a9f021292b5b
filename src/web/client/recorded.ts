/** Which history version a live answer became, read from the resource's event stream. */
import { request } from "./api.js"
import { readEventStream } from "./events.js"
import type { ResourceDetail } from "./types.js"

const RECORDING_WAIT_MS = 10_000

/**
 * The history version whose hash is the answer's ETag, once the background recording has
 * happened: read from the resource's event stream, so an unrecorded resource is not a 404.
 */
export const findRecordedVersion = async (
  resourceId: string,
  etag: string,
  signal: AbortSignal,
): Promise<number | undefined> => {
  const hash = etag.replace(/^W\//, "").replace(/"/g, "")
  const stop = new AbortController()
  const abort = () => stop.abort()
  signal.addEventListener("abort", abort)
  const timer = setTimeout(abort, RECORDING_WAIT_MS)
  let found: number | undefined
  try {
    const base = `/v1/resources/${encodeURIComponent(resourceId)}`
    const response = await request(`${base}/events`, stop.signal, "text/event-stream")
    if (response.body === null) return undefined
    await readEventStream(response.body, (message) => {
      const data = JSON.parse(message.data) as Record<string, unknown>
      if (message.event === "version" && data.hash === hash && typeof data.version === "number") {
        found = data.version
        stop.abort()
      } else if (
        message.event === "ready" &&
        typeof data.version === "number" &&
        data.version > 0
      ) {
        // Recorded before the stream opened: the latest version may already be this answer.
        void request(base, stop.signal)
          .then((answer) => answer.json() as Promise<ResourceDetail>)
          .then((detail) => {
            if (detail.latestHash === hash) {
              found = detail.latestVersion
              stop.abort()
            }
          })
          .catch(() => undefined)
      }
    })
  } catch {
    // Aborted once found or timed out, or the history is unavailable: nothing to show.
  } finally {
    clearTimeout(timer)
    signal.removeEventListener("abort", abort)
  }
  return found
}
