/**
 * A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL by default) that can make the
 * network slow (a delay on every chunk, each direction) or absent (cut: every connection
 * destroyed and new ones closed at once) until it is restored.
 */
import { type AddressInfo, createConnection, createServer, type Socket } from "node:net"

export interface TcpProxyOptions {
  readonly targetHost: string
  readonly targetPort: number
  /** Added to every chunk in each direction; changeable later with `setDelay`. */
  readonly delayMs?: number
  /** Connections held at once; beyond it the server refuses new ones. */
  readonly maxConnections?: number
  /** Bytes held back per direction before the sending side is paused. */
  readonly maxBufferedBytes?: number
}

export interface TcpProxy {
  readonly port: number
  /** `url` with its host and port replaced by the proxy's. */
  readonly through: (url: string) => string
  readonly setDelay: (ms: number) => void
  /** Destroys every connection; new ones are closed as soon as they arrive, until `restore`. */
  readonly cut: () => void
  readonly restore: () => void
  readonly openConnections: () => number
  /** Bytes received from clients so far, whether or not they have been passed on yet. */
  readonly receivedFromClients: () => number
  readonly close: () => Promise<void>
}

interface Pending {
  readonly chunk: Buffer
  readonly due: number
}

/**
 * Forwards `from` to `to`, each chunk held until `delayMs()` after it arrived, in order
 * (a chunk never leaves before the one ahead of it), pausing `from` while too much is held.
 */
const forwardDelayed = (
  from: Socket,
  to: Socket,
  delayMs: () => number,
  maxBufferedBytes: number,
): (() => void) => {
  const queue: Array<Pending> = []
  let buffered = 0
  let lastDue = 0
  let ended = false
  let timer: NodeJS.Timeout | undefined
  let waitingForDrain = false

  const resumeIfRoom = () => {
    if (!waitingForDrain && buffered <= maxBufferedBytes && from.isPaused()) from.resume()
  }
  const pump = () => {
    timer = undefined
    const now = Date.now()
    for (let head = queue[0]; head !== undefined && head.due <= now; head = queue[0]) {
      queue.shift()
      buffered -= head.chunk.length
      if (to.destroyed) return
      if (!to.write(head.chunk) && !waitingForDrain) {
        waitingForDrain = true
        from.pause()
        to.once("drain", () => {
          waitingForDrain = false
          resumeIfRoom()
        })
      }
    }
    const next = queue[0]
    if (next !== undefined) timer = setTimeout(pump, Math.max(0, next.due - now))
    else if (ended) to.end()
    resumeIfRoom()
  }

  from.on("data", (chunk: Buffer) => {
    lastDue = Math.max(lastDue, Date.now() + delayMs())
    queue.push({ chunk, due: lastDue })
    buffered += chunk.length
    if (buffered > maxBufferedBytes) from.pause()
    if (timer === undefined) pump()
  })
  from.on("end", () => {
    ended = true
    if (timer === undefined) pump()
  })
  return () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    queue.length = 0
    buffered = 0
  }
}

export const startTcpProxy = async (options: TcpProxyOptions): Promise<TcpProxy> => {
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024
  let delay = options.delayMs ?? 0
  let isCut = false
  let fromClients = 0
  const connections = new Set<() => void>()

  const server = createServer((client) => {
    if (isCut) {
      client.destroy()
      return
    }
    const target = createConnection({ host: options.targetHost, port: options.targetPort })
    const stops: Array<() => void> = []
    const teardown = () => {
      if (!connections.delete(teardown)) return
      for (const stop of stops) stop()
      client.destroy()
      target.destroy()
    }
    connections.add(teardown)
    client.on("data", (chunk: Buffer) => {
      fromClients += chunk.length
    })
    stops.push(forwardDelayed(client, target, () => delay, maxBufferedBytes))
    stops.push(forwardDelayed(target, client, () => delay, maxBufferedBytes))
    for (const socket of [client, target]) {
      socket.on("error", teardown)
      socket.on("close", teardown)
    }
  })
  server.maxConnections = options.maxConnections ?? 256

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo

  const destroyAll = () => {
    for (const teardown of [...connections]) teardown()
  }

  return {
    port,
    through: (url) => {
      const parsed = new URL(url)
      parsed.hostname = "127.0.0.1"
      parsed.port = String(port)
      return parsed.toString()
    },
    setDelay: (ms) => {
      delay = ms
    },
    cut: () => {
      isCut = true
      destroyAll()
    },
    restore: () => {
      isCut = false
    },
    openConnections: () => connections.size,
    receivedFromClients: () => fromClients,
    close: async () => {
      isCut = true
      destroyAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
