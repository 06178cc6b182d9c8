"""The local memory viewer (`mcp-memory ui`): a small web app on 127.0.0.1 over the same services and
views as the tools, for a person to see and curate what the agent keeps. `guard` holds its security
rules, `api` its JSON endpoints, `page` the one page (HTML, CSS and script served from the package,
no build step, no CDN), `serve` starts it."""
