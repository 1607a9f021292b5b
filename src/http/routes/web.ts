import { Hono } from "hono"
import type { WebAssets } from "../../web/assets.js"
import type { AppEnv } from "../env.js"

const shell = (assets: WebAssets | undefined) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tidemark</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app">${
  assets === undefined
    ? "<p>The page's assets are not built: run <code>npm run build:web</code> (or <code>npm start</code>, which builds them).</p>"
    : "<noscript>Tidemark's page needs JavaScript; the API is at /v1.</noscript>"
}</div>
</body>
</html>
`

/** The web page: one shell for every page path, and the bundled script and styles. */
export const webRoutes = (assets: WebAssets | undefined) => {
  const html = shell(assets)
  const app = new Hono<AppEnv>()
  app.get("/", (c) => c.html(html))
  app.get("/resources/:id", (c) => c.html(html))
  if (assets !== undefined) {
    app.get("/assets/app.js", (c) =>
      c.body(assets.script, 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-cache",
      }),
    )
    app.get("/assets/style.css", (c) =>
      c.body(assets.style, 200, {
        "content-type": "text/css; charset=utf-8",
        "cache-control": "no-cache",
      }),
    )
  }
  return app
}
