/** The page: header with the token field, and the view the URL names. */
import { h } from "./dom.js"
import { homeView } from "./home.js"
import { resourceView } from "./resource-view.js"
import { type Route, routeOf, startRouter } from "./router.js"
import { tokenForm } from "./token.js"

const root = document.getElementById("app")
if (root !== null) {
  const main = h("main", { id: "main", tabindex: "-1" })
  let leave: () => void = () => undefined

  const render = (route: Route, navigated: boolean) => {
    leave()
    window.scrollTo(0, 0)
    if (route.name === "home") leave = homeView(main)
    else if (route.name === "resource") leave = resourceView(main, route.id, route.query)
    else {
      leave = () => undefined
      document.title = "Not found · Tidemark"
      main.replaceChildren(
        h("h1", { tabindex: "-1" }, "Not found"),
        h(
          "p",
          {},
          "There is nothing at this address. ",
          h("a", { href: "/" }, "Go to the sources."),
        ),
      )
    }
    if (navigated) main.querySelector<HTMLElement>("h1")?.focus()
  }

  root.replaceChildren(
    h("a", { class: "skip-link", href: "#main" }, "Skip to content"),
    h(
      "header",
      { class: "site-header" },
      h(
        "div",
        { class: "header-inner" },
        h("a", { class: "brand", href: "/" }, "Tidemark"),
        tokenForm(() => render(routeOf(window.location), false)),
      ),
    ),
    main,
  )
  startRouter(render)
}
