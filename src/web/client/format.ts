/** How times, durations and values read on the page. */
import { h } from "./dom.js"

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" })
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" })

export const formatDateTime = (iso: string) => {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date)
}

export const formatAgo = (iso: string, now = Date.now()) => {
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  if (Number.isNaN(seconds)) return ""
  const steps: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ]
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit)
  }
  return Math.abs(seconds) < 5 ? "just now" : relative.format(seconds, "second")
}

/** A <time> with the exact instant for machines and a readable local time for people. */
export const timeElement = (iso: string, withAgo = false) =>
  h(
    "time",
    { datetime: iso, title: iso },
    withAgo ? `${formatDateTime(iso)} (${formatAgo(iso)})` : formatDateTime(iso),
  )

export const plural = (count: number, one: string, many = `${one}s`) =>
  `${count} ${count === 1 ? one : many}`

/** JSON for reading: pretty, and short values on one line. */
export const prettyJson = (value: unknown) =>
  value === undefined ? "(nothing)" : (JSON.stringify(value, null, 2) ?? String(value))
