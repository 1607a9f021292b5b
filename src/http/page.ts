/** A small page until the full web interface lands: what Tidemark is and where its API lives. */
export const indexPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tidemark</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25rem}</style>
</head>
<body>
<h1>Tidemark</h1>
<p>Live answers from third-party JSON APIs at upstream latency, with a versioned, diffable history.</p>
<ul>
<li><a href="/v1/sources"><code>GET /v1/sources</code></a>: the configured sources</li>
<li><code>GET /v1/live/:source?&lt;params&gt;</code>: a live answer</li>
<li><a href="/v1/resources"><code>GET /v1/resources</code></a>: tracked resources and their versions</li>
</ul>
</body>
</html>
`
