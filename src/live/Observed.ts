import type { Tracked } from "../core/tracked.js"
import type { UpstreamAnswer } from "./Upstream.js"

/** An upstream answer with its tracked content, as the live path and the recorder see it. */
export interface Observed {
  readonly answer: UpstreamAnswer
  readonly tracked: Tracked
}
