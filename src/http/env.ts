/** What handlers share within one request. */
export type AppEnv = {
  Variables: {
    /** How the upstream call went, for the request log line. */
    upstream: string
  }
}
