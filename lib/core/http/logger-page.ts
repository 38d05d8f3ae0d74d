// The small live log page served at `/logger?view=html`: an EventSource on the same URL without the
// query, lines appended as text (never as HTML), autoscroll unless the reader scrolled up, a pause
// button and a counter. No external assets: it must work on a closed network.

/** The page for one baseEntity (or all). */
export function loggerPage (baseEntity: string | undefined): string {
  const scope = baseEntity === undefined ? 'all baseEntities' : `baseEntity ${escapeHtml(baseEntity)}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SCIM Gateway log</title>
<style>
  body { margin: 0; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #111; color: #ddd; }
  header { position: sticky; top: 0; background: #222; padding: 6px 10px; display: flex; gap: 12px; align-items: center; }
  header b { color: #fff; }
  #state { color: #9c9; }
  #state.off { color: #e77; }
  #log { padding: 6px 10px; white-space: pre-wrap; word-break: break-all; }
  .error { color: #f88; } .warn { color: #fd6; } .debug { color: #8ad; }
</style>
</head>
<body>
<header><b>SCIM Gateway log</b><span>${scope}</span><span id="state">connecting…</span><span id="count">0 lines</span><button id="pause" type="button">pause</button></header>
<div id="log"></div>
<script>
  const log = document.getElementById('log')
  const state = document.getElementById('state')
  const count = document.getElementById('count')
  const pause = document.getElementById('pause')
  let n = 0, paused = false
  pause.onclick = () => { paused = !paused; pause.textContent = paused ? 'resume' : 'pause' }
  const src = new EventSource(location.pathname)
  src.onopen = () => { state.textContent = 'live'; state.className = '' }
  src.onerror = () => { state.textContent = 'disconnected, retrying'; state.className = 'off' }
  src.onmessage = (e) => {
    if (paused) return
    const atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 4
    const div = document.createElement('div')
    div.className = 'line ' + ((/\\b(error|warn|debug)\\b/i.exec(e.data) || [''])[0].toLowerCase())
    div.textContent = e.data
    log.appendChild(div)
    while (log.childElementCount > 5000) log.firstElementChild.remove()
    count.textContent = (++n) + ' lines'
    if (atEnd) window.scrollTo(0, document.body.scrollHeight)
  }
</script>
</body>
</html>
`
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}
