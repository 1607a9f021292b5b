/** The shapes the API answers with. */

export type ParamValue = string | number | boolean

export interface ParamSpec {
  readonly type: "string" | "number" | "integer" | "boolean"
  readonly pattern?: string
  readonly enum?: ReadonlyArray<ParamValue>
  readonly minimum?: number
  readonly maximum?: number
  readonly default?: ParamValue
  readonly description?: string
}

export interface SourceInfo {
  readonly id: string
  readonly description: string
  readonly params: Readonly<Record<string, ParamSpec>>
  readonly select: string
  readonly ignore: ReadonlyArray<string>
  readonly timeoutMs: number
  readonly retries: number
  readonly coalesce: boolean
}

export interface ResourceSummary {
  readonly id: string
  readonly source: string
  readonly key: string
  readonly params: Readonly<Record<string, ParamValue>>
  readonly latestVersion: number
  readonly latestHash: string | null
  readonly latestObservedAt: string | null
  readonly versionCount: number
}

export interface PatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test"
  readonly path: string
  readonly from?: string
  readonly value?: unknown
}

export interface VersionDetail {
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly recordedAt: string
  readonly body: unknown
  readonly tracked: unknown
  readonly patch: ReadonlyArray<PatchOperation>
}

export interface ResourceDetail extends ResourceSummary {
  readonly latest: VersionDetail
}

export interface VersionSummary {
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly changes: number
}

export interface VersionEvent extends VersionSummary {
  readonly resourceId: string
}

export interface SeriesPoint {
  readonly version: number
  readonly observedAt: string
  readonly value: number
}
