/** What every comparison target reads from its environment, and how it says it is ready. */
import type { AddressInfo } from "node:net"

export interface TargetSettings {
  readonly port: number
  readonly upstreamUrl: string
  readonly databaseUrl: string | undefined
}

export const targetSettings = (): TargetSettings => {
  const upstreamUrl = process.env.UPSTREAM_URL
  if (upstreamUrl === undefined) throw new Error("UPSTREAM_URL is required")
  return {
    port: Number(process.env.PORT ?? 0),
    upstreamUrl,
    databaseUrl: process.env.DATABASE_URL,
  }
}

export const listening = (info: AddressInfo) => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: info.port })}\n`)
}

process.on("SIGTERM", () => process.exit(0))
