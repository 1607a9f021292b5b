/** Upstream URLs from a source's template: values can never change scheme, host, port or path depth. */
import { LONE_SURROGATE, type Normalised } from "./params.js"

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

export interface UrlTemplate {
  readonly template: string
  readonly origin: string
  readonly pathParams: ReadonlyArray<string>
  readonly query: Readonly<Record<string, string>>
}

export type TemplateResult =
  | { readonly ok: true; readonly template: UrlTemplate }
  | { readonly ok: false; readonly reason: string }

/** Checks a source's URL template once, at start-up. */
export const parseTemplate = (
  template: string,
  paramNames: ReadonlyArray<string>,
  query: Readonly<Record<string, string>>,
): TemplateResult => {
  const probe = template.replace(PLACEHOLDER, "x")
  let url: URL
  try {
    url = new URL(probe)
  } catch {
    return { ok: false, reason: "is not an absolute URL" }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: "must use http or https" }
  }
  if (url.username !== "" || url.password !== "") {
    return { ok: false, reason: "must not carry credentials (use headers)" }
  }
  const pathParams = [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? "")
  const pathStart = template.indexOf("/", template.indexOf("//") + 2)
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (
      pathStart === -1 ||
      (match.index ?? 0) < pathStart ||
      template.slice(0, match.index).includes("?")
    ) {
      return { ok: false, reason: `placeholder {${match[1]}} must be in the path` }
    }
  }
  for (const name of pathParams) {
    if (!paramNames.includes(name))
      return { ok: false, reason: `placeholder {${name}} is not a declared param` }
  }
  if (new Set(pathParams).size !== pathParams.length) {
    return { ok: false, reason: "a placeholder appears more than once" }
  }
  return { ok: true, template: { template, origin: url.origin, pathParams, query } }
}

export type BuildResult =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly param: string; readonly reason: string }

const segmentDepth = (url: URL): number => url.pathname.split("/").length

/** The upstream URL for these params: path values as one encoded segment each, the rest as query. */
export const buildUrl = (template: UrlTemplate, params: Normalised): BuildResult => {
  // Unencodable in a path, and silently replaced by U+FFFD in a query: refuse instead.
  for (const [name, value] of Object.entries(params)) {
    if (LONE_SURROGATE.test(String(value))) {
      return { ok: false, param: name, reason: "must be well-formed Unicode text" }
    }
  }
  for (const name of template.pathParams) {
    const value = String(params[name])
    if (value === "" || value === "." || value === "..") {
      return {
        ok: false,
        param: name,
        reason: "cannot be empty, '.' or '..' (it fills a path segment)",
      }
    }
  }
  const filled = template.template.replace(PLACEHOLDER, (_, name: string) =>
    encodeURIComponent(String(params[name])),
  )
  const url = new URL(filled)
  for (const [name, value] of Object.entries(template.query)) url.searchParams.append(name, value)
  for (const name of Object.keys(params).sort()) {
    if (!template.pathParams.includes(name)) url.searchParams.append(name, String(params[name]))
  }
  const expected = new URL(template.template.replace(PLACEHOLDER, "x"))
  if (url.origin !== template.origin || segmentDepth(url) !== segmentDepth(expected)) {
    return {
      ok: false,
      param: template.pathParams[0] ?? "",
      reason: "would change the upstream path",
    }
  }
  return { ok: true, url: url.toString() }
}
