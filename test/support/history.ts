/** The recorded history as a client sees it through the resource routes. */
import { bodyOf, type TestApp } from "./tidemark.js"

export interface VersionItem {
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly changes: number
}

/** The resource's versions, newest first; none when the resource was never recorded. */
export const versionsOf = async (
  tidemark: TestApp,
  resourceId: string,
): Promise<ReadonlyArray<VersionItem>> => {
  const response = await tidemark.request(`/v1/resources/${resourceId}/versions?limit=500`)
  if (response.status === 404) return []
  if (response.status !== 200) {
    throw new Error(
      `versions of ${resourceId} answered ${response.status}: ${await response.text()}`,
    )
  }
  return (await bodyOf<{ items: Array<VersionItem> }>(response)).items
}

/** The hash inside a live answer's ETag. */
export const etagHash = (response: Response): string =>
  (response.headers.get("etag") ?? "").replace(/^"|"$/g, "")

export const resourceOf = (response: Response): string =>
  response.headers.get("tidemark-resource") ?? ""
