import type { ColumnType, Generated, Selectable } from "kysely"
import type { PatchOperation } from "../core/patch.js"

export interface ResourcesTable {
  readonly id: string
  readonly source: string
  readonly key: string
  readonly params: ColumnType<Record<string, string | number | boolean>, string, never>
  readonly created_at: Generated<Date>
  readonly latest_version: Generated<number>
  readonly latest_hash: string | null
  readonly latest_observed_at: Date | null
}

export interface VersionsTable {
  readonly resource_id: string
  readonly version: number
  readonly hash: string
  readonly observed_at: ColumnType<Date, Date, never>
  readonly recorded_at: Generated<Date>
  readonly body: string
  readonly tracked: string
  readonly patch: ColumnType<Array<PatchOperation>, string, never>
  readonly patch_ops: number
}

export interface Tables {
  readonly resources: ResourcesTable
  readonly versions: VersionsTable
}

export type ResourceRow = Selectable<ResourcesTable>
export type VersionRow = Selectable<VersionsTable>
