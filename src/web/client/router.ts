/** History API routing between the page's two views: `/` and `/resources/:id`. */
import type { Shown } from "./timeline.js"

export type Route =
  | { readonly name: "home" }
  | { readonly name: "resource"; readonly id: string; readonly query: URLSearchParams }
  | { readonly name: "missing" }

export const routeOf = (location: Location): Route => {
  if (location.pathname === "/") return { name: "home" }
  const match = /^\/resources\/([^/]+)$/.exec(location.pathname)
  if (match?.[1] !== undefined) {
    return {
      name: "resource",
      id: decodeURIComponent(match[1]),
      query: new URLSearchParams(location.search),
    }
  }
  return { name: "missing" }
}

const isPageLink = (anchor: HTMLAnchorElement) =>
  anchor.origin === window.location.origin &&
  anchor.target === "" &&
  !anchor.hasAttribute("download") &&
  anchor.hash === "" &&
  (anchor.pathname === "/" || anchor.pathname.startsWith("/resources/"))

/** Calls `render` now, after in-page link clicks (pushing history), and on back/forward. */
export const startRouter = (render: (route: Route, navigated: boolean) => void) => {
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    const anchor = event.target instanceof Element ? event.target.closest("a") : null
    if (anchor === null || !isPageLink(anchor)) return
    event.preventDefault()
    if (anchor.href !== window.location.href) window.history.pushState(null, "", anchor.href)
    render(routeOf(window.location), true)
  })
  window.addEventListener("popstate", () => render(routeOf(window.location), true))
  render(routeOf(window.location), false)
}

/** What a resource URL's query asks to show: `?version=n`, `?from=a&to=b`, else the latest. */
export const shownFromQuery = (query: URLSearchParams, latest: number): Shown => {
  const number = (name: string) => {
    const value = Number(query.get(name))
    return Number.isSafeInteger(value) && value >= 1 && value <= latest ? value : undefined
  }
  const from = number("from")
  const to = number("to")
  if (from !== undefined && to !== undefined && from !== to) {
    return { kind: "diff", from: Math.min(from, to), to: Math.max(from, to) }
  }
  return { kind: "version", version: number("version") ?? latest }
}

/** The resource URL for what is shown; the latest version needs no query. */
export const resourceUrl = (id: string, shown: Shown, latest: number) =>
  `/resources/${encodeURIComponent(id)}${
    shown.kind === "diff"
      ? `?from=${shown.from}&to=${shown.to}`
      : shown.version === latest
        ? ""
        : `?version=${shown.version}`
  }`
