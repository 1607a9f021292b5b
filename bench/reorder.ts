/**
 * How far the answers to overlapping calls for one resource stray from the order their
 * calls started in: where the stale observations of a hot resource (guarantee 4) come from.
 * A node:http client with a keep-alive agent, as Tidemark calls upstreams, keeps
 * `--connections` calls to one key of the upstream stand-in going for `--duration` seconds,
 * noting when each call started and when its answer arrived; the answer's serial tells the
 * order the upstream sent them in. No Tidemark and no database: only the two HTTP hops.
 *
 *   node --import tsx bench/reorder.ts [--connections 200] [--duration 4] [--latency 1]
 */
import { Agent, get } from "node:http"
import { parseArgs } from "node:util"
import { overtaken } from "./overtaken.js"
import { startUpstreamStandIn } from "./processes.js"

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "200" },
    duration: { type: "string", default: "4" },
    latency: { type: "string", default: "1" },
  },
})
const connections = Number(values.connections)
const durationMs = Number(values.duration) * 1000
const latencyMs = Number(values.latency)

const upstream = await startUpstreamStandIn()
const { port } = upstream
try {
  await fetch(`http://127.0.0.1:${port}/control?latencyMs=${latencyMs}&changeEvery=1000000000`, {
    method: "POST",
  })
  const agent = new Agent({ keepAlive: true })
  const calls: Array<{ startedAt: number; arrivedAt: number; serial: number }> = []
  const until = performance.now() + durationMs
  await new Promise<void>((resolve) => {
    let running = connections
    const call = () => {
      if (performance.now() >= until) {
        if (--running === 0) resolve()
        return
      }
      const startedAt = performance.now()
      get({ host: "127.0.0.1", port, path: "/q/hot", agent }, (answer) => {
        const chunks: Array<Buffer> = []
        answer.on("data", (chunk: Buffer) => chunks.push(chunk))
        answer.on("end", () => {
          const { serial } = JSON.parse(Buffer.concat(chunks).toString()) as { serial: number }
          calls.push({ startedAt, arrivedAt: performance.now(), serial })
          call()
        })
      }).on("error", () => {
        if (--running === 0) resolve()
      })
    }
    for (let i = 0; i < connections; i++) call()
  })
  agent.destroy()
  // `calls` is in the order the answers arrived.
  const byStart = [...calls].sort((a, b) => a.startedAt - b.startedAt)
  const onTheWayOut = overtaken(byStart, (call) => call.serial)
  const onTheWayBack = overtaken(calls, (call) => call.serial)
  const olderThanOneIn = overtaken(calls, (call) => call.startedAt)
  const share = (count: number) => `${((count / calls.length) * 100).toFixed(1)}%`
  console.log(
    [
      `${calls.length} answers to one key, ${connections} connections, ${latencyMs} ms upstream, ${values.duration} s:`,
      `- served ahead of a call that started before it: ${onTheWayOut.count} (${share(onTheWayOut.count)}), by up to ${onTheWayOut.farthest} answers`,
      `- arrived after an answer the upstream sent later: ${onTheWayBack.count} (${share(onTheWayBack.count)}), by up to ${onTheWayBack.farthest} answers`,
      `- arrived after an answer whose call started later (stale, were that answer recorded): ${olderThanOneIn.count} (${share(olderThanOneIn.count)}), by up to ${olderThanOneIn.farthest.toFixed(1)} ms`,
    ].join("\n"),
  )
} finally {
  await upstream.child.stop(1000)
}
