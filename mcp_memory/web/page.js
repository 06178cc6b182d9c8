"use strict";
// The viewer's script. Every text from the database is set as text (never parsed as HTML): a
// memory's content may have been written from a web page an agent read.
(() => {
  const TOKEN = new URLSearchParams(location.search).get("token") || "";
  // Out of the address bar and the history at once (a reload asks for the printed URL again).
  history.replaceState(null, "", "/");
  const PAGE = 50;
  const state = { offset: 0, total: 0, filters: {}, query: "", stamp: null, open: null, tab: "memories" };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else if (key === "width") node.style.width = value; // through the CSSOM: the policy forbids style attributes
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const svg = (tag, attrs, ...children) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  };

  async function api(path, options = {}) {
    const headers = { "X-MCP-Memory-Token": TOKEN };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method: options.method || "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "omit",
      cache: "no-store",
    });
    const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }
  const query = (params) => {
    const clean = Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined);
    return clean.length ? "?" + new URLSearchParams(clean).toString() : "";
  };

  function toast(text, action) {
    const box = $("toast");
    box.replaceChildren(el("span", {}, text));
    if (action) box.append(el("button", { "data-testid": "toast-action", onclick: () => { box.hidden = true; action.run(); } }, action.label));
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, action ? 12000 : 4000);
  }
  const failed = (error) => toast(String(error.message || error));
  const when = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("+00:00", " UTC") : "");

  // Memories: the list, search results, one memory.
  function card(memory, extra) {
    return el("li", { class: "card", "data-id": memory.id, "data-testid": "memory", onclick: () => openMemory(memory.id) },
      el("div", {},
        memory.pinned ? el("span", { class: "badge pin", "data-testid": "pinned" }, "pinned") : null, " ",
        memory.superseded_by ? el("span", { class: "badge retired" }, `retired by ${memory.superseded_by}`) : null, " ",
        memory.content.length > 400 ? memory.content.slice(0, 400) + "\u2026" : memory.content),
      el("div", { class: "meta" },
        el("span", { class: "badge" }, memory.kind),
        el("span", {}, memory.id),
        el("span", {}, memory.project || "global"),
        el("span", {}, when(memory.created_at)),
        (memory.tags || []).length ? el("span", {}, "#" + memory.tags.join(" #")) : null,
        extra || null));
  }

  async function loadList() {
    try {
      if (state.query) {
        const found = await api("/api/search" + query({ q: state.query, project: state.filters.project, kind: state.filters.kind }));
        $("list-head").textContent = found.results.length
          ? `${found.results.length} results for \u201c${state.query}\u201d (${found.mode_used || found.mode}), best first`
          : (found.notice || `nothing found for \u201c${state.query}\u201d`);
        $("list").replaceChildren(...found.results.map((hit) => card(hit, el("span", { class: "why" },
          el("span", { class: "rel", title: `relevance ${hit.relevance}` }, el("i", { width: `${Math.round(hit.relevance * 100)}%` })),
          ` ${hit.relevance.toFixed(2)} \u00b7 ${(hit.why || []).join("; ")}`))));
        $("newer").disabled = $("older").disabled = true;
        return;
      }
      const page = await api("/api/memories" + query({ ...state.filters, offset: state.offset, limit: PAGE }));
      state.total = page.total;
      const last = Math.min(page.total, state.offset + page.memories.length);
      $("list-head").textContent = page.total ? `${state.offset + 1}\u2013${last} of ${page.total}, pinned first, then newest` : "no memories here yet";
      $("list").replaceChildren(...page.memories.map((m) => card(m)));
      if (!performance.getEntriesByName("mcp-memory:list").length) performance.mark("mcp-memory:list"); // bench/viewer.py
      $("newer").disabled = state.offset === 0;
      $("older").disabled = last >= page.total;
    } catch (error) { failed(error); }
  }

  function diffWords(before, after) {
    // A word diff (longest common subsequence) of two versions, as <del> and <ins>.
    const a = before.split(/(\s+)/), b = after.split(/(\s+)/);
    if (a.length * b.length > 250000) return [el("del", {}, before), el("ins", {}, after)];
    const n = a.length, m = b.length, table = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    const out = [];
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; }
      else if (table[i + 1][j] >= table[i][j + 1]) out.push(el("del", {}, a[i++]));
      else out.push(el("ins", {}, b[j++]));
    }
    while (i < n) out.push(el("del", {}, a[i++]));
    while (j < m) out.push(el("ins", {}, b[j++]));
    return out;
  }

  async function openMemory(id) {
    let found;
    try { found = await api(`/api/memories/${encodeURIComponent(id)}`); } catch (error) { failed(error); return; }
    state.open = id;
    const { memory, history, graph, episodes } = found;
    const box = $("detail");
    const versions = history.versions || [];
    box.replaceChildren(
      el("div", { class: "row" }, el("button", { onclick: closeDetail, "data-testid": "close" }, "Close"),
        el("span", { class: "muted" }, `${memory.id} \u00b7 version ${memory.version}`)),
      el("h2", {}, `${memory.kind} in ${memory.project || "global"}`),
      el("div", { class: "content", "data-testid": "content" }, memory.content),
      el("p", { class: "muted" }, `stored ${when(memory.created_at)}, changed ${when(memory.updated_at)}; importance ${memory.importance}; read ${memory.access_count} times`,
        (memory.tags || []).length ? `; tags ${memory.tags.join(", ")}` : ""),
      el("div", { class: "row" },
        el("button", { "data-testid": "edit", onclick: () => editMemory(memory) }, "Edit"),
        el("button", { "data-testid": "pin", onclick: () => pinMemory(memory) }, memory.pinned ? "Unpin" : "Pin"),
        el("button", { "data-testid": "retire", onclick: () => retireMemory(memory) }, "Retire\u2026"),
        el("button", { class: "danger", "data-testid": "delete", onclick: () => deleteMemory(memory) }, "Delete"),
        el("button", { class: "danger", "data-testid": "forget", onclick: () => forgetMemory(memory) }, "Forget for good\u2026")),
      el("h2", {}, "History"),
      versions.length > 1
        ? el("div", { "data-testid": "history" }, versions.slice(1).map((v, k) => el("div", { class: "version" },
            el("div", { class: "muted" }, `version ${v.version} \u2192 ${versions[k].version}: ${v.replaced_by} ${when(v.when)}`),
            el("div", {}, diffWords(v.content, versions[k].content)))))
        : el("p", { class: "muted" }, "never changed"),
      el("h2", {}, "Graph"),
      graph.entities.length ? drawGraph(graph, new Set(graph.entities.map((e) => e.name)), 520, 260) : el("p", { class: "muted" }, "linked to no entity"),
      el("h2", {}, "Episodes"),
      episodes.length ? el("ol", {}, episodes.map(episodeCard)) : el("p", { class: "muted" }, "produced by no episode"));
    box.hidden = false;
  }
  function closeDetail() { $("detail").hidden = true; state.open = null; }

  function editMemory(memory) {
    const text = el("textarea", { "data-testid": "edit-content" }, memory.content);
    const tags = el("input", { value: (memory.tags || []).join(", "), "data-testid": "edit-tags" });
    const kind = el("input", { value: memory.kind });
    const importance = el("input", { type: "number", min: 0, max: 1, step: 0.05, value: memory.importance });
    const save = async () => {
      try {
        await api(`/api/memories/${memory.id}`, { method: "POST", body: {
          content: text.value, tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean),
          kind: kind.value.trim(), importance: Number(importance.value) } });
        toast(`Saved ${memory.id} (the old version is in its history)`);
        await refresh();
      } catch (error) { failed(error); }
    };
    $("detail").replaceChildren(el("h2", {}, `Edit ${memory.id}`), text,
      el("div", { class: "row" }, el("label", {}, "tags ", tags), el("label", {}, "kind ", kind), el("label", {}, "importance ", importance)),
      el("div", { class: "row" }, el("button", { "data-testid": "save", onclick: save }, "Save"), el("button", { onclick: () => openMemory(memory.id) }, "Cancel")));
  }
  async function pinMemory(memory) {
    try { await api(`/api/memories/${memory.id}/pin`, { method: "POST", body: { pinned: !memory.pinned } }); await refresh(); }
    catch (error) { failed(error); }
  }
  async function deleteMemory(memory) {
    try {
      const done = await api(`/api/memories/${memory.id}`, { method: "DELETE" });
      closeDetail();
      toast(`Deleted ${memory.id}.`, { label: "Undo", run: async () => {
        try { await api(`/api/memories/${done.undo.id}/revert`, { method: "POST", body: { version: done.undo.version } }); toast(`${memory.id} is back`); await refresh(); }
        catch (error) { failed(error); } } });
      await loadList();
    } catch (error) { failed(error); }
  }
  async function retireMemory(memory) {
    const by = prompt(`Retire ${memory.id}: the id of the newer memory that replaces it (e.g. m_42)`);
    if (!by) return;
    try { await api(`/api/memories/${memory.id}/retire`, { method: "POST", body: { replaced_by: by.trim() } }); toast(`${memory.id} retired by ${by.trim()}`); closeDetail(); await loadList(); }
    catch (error) { failed(error); }
  }
  async function forgetMemory(memory) {
    const typed = prompt(`Forgetting is permanent: no history, no undo. Type ${memory.id} to forget it.`);
    if (typed === null) return;
    try { await api(`/api/memories/${memory.id}/forget`, { method: "POST", body: { confirm: typed.trim() } }); toast(`${memory.id} forgotten`); closeDetail(); await loadList(); }
    catch (error) { failed(error); }
  }
  async function refresh() {
    await loadList();
    if (state.open) await openMemory(state.open);
  }

  // Pictures: the timeline, the graph, episodes.
  async function loadTimeline() {
    try {
      const found = await api("/api/timeline" + query({ project: state.filters.project, buckets: 60 }));
      const buckets = [...found.buckets].reverse();
      if (!buckets.length) { $("timeline").replaceChildren(el("p", { class: "muted" }, "nothing stored yet")); return; }
      const width = Math.max(320, buckets.length * 22), height = 180, top = Math.max(...buckets.map((b) => b.count));
      const picture = svg("svg", { width, height: height + 40, role: "img", "aria-label": "memories stored per day" });
      buckets.forEach((b, k) => {
        const h = Math.max(2, Math.round((b.count / top) * height));
        const bar = svg("rect", { class: "bar", x: k * 22 + 4, y: height - h, width: 16, height: h, "data-testid": "bar",
          onclick: () => { showDay(b.start); } }, svg("title", {}, `${b.start}: ${b.count}`));
        picture.append(bar, svg("text", { x: k * 22 + 12, y: height + 14, "text-anchor": "middle" }, b.start.slice(5)));
        picture.append(svg("text", { x: k * 22 + 12, y: height - h - 3, "text-anchor": "middle" }, b.count));
      });
      $("timeline").replaceChildren(picture);
    } catch (error) { failed(error); }
  }
  function showDay(day) {
    const next = new Date(day + "T00:00:00Z"); next.setUTCDate(next.getUTCDate() + 1);
    const form = $("filters");
    form.since.value = day; form.until.value = next.toISOString().slice(0, 10);
    applyFilters(); switchTab("memories");
  }

  function drawGraph(graph, seeds, width, height) {
    // A small force layout, run to rest before it is drawn (no animation, no library).
    const nodes = graph.entities.map((e, k) => ({ e, x: width / 2 + Math.cos(k) * 80 + k, y: height / 2 + Math.sin(k) * 80, vx: 0, vy: 0 }));
    const index = new Map(nodes.map((n) => [n.e.name, n]));
    const edges = graph.relations.filter((r) => index.has(r.from) && index.has(r.to));
    for (let step = 0; step < 300; step++) {
      for (const a of nodes) for (const b of nodes) {
        if (a === b) continue;
        const dx = a.x - b.x, dy = a.y - b.y, d2 = Math.max(dx * dx + dy * dy, 25), f = 1800 / d2;
        a.vx += (dx / Math.sqrt(d2)) * f; a.vy += (dy / Math.sqrt(d2)) * f;
      }
      for (const r of edges) {
        const a = index.get(r.from), b = index.get(r.to), dx = b.x - a.x, dy = b.y - a.y, d = Math.sqrt(dx * dx + dy * dy) || 1, f = (d - 90) * 0.02;
        a.vx += (dx / d) * f; a.vy += (dy / d) * f; b.vx -= (dx / d) * f; b.vy -= (dy / d) * f;
      }
      for (const n of nodes) {
        n.vx += (width / 2 - n.x) * 0.005; n.vy += (height / 2 - n.y) * 0.005;
        n.x = Math.min(width - 40, Math.max(40, n.x + n.vx * 0.5)); n.y = Math.min(height - 20, Math.max(20, n.y + n.vy * 0.5));
        n.vx *= 0.6; n.vy *= 0.6;
      }
    }
    const picture = svg("svg", { width, height, role: "img", "aria-label": "knowledge graph", "data-testid": "graph-picture" });
    for (const r of edges) {
      const a = index.get(r.from), b = index.get(r.to);
      picture.append(svg("line", { class: "edge", x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
        svg("text", { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, "text-anchor": "middle", class: "muted" }, r.type));
    }
    for (const n of nodes) {
      const group = svg("g", { class: seeds.has(n.e.name) ? "node seed" : "node", "data-testid": "node", onclick: () => showGraph(n.e.name) },
        svg("circle", { cx: n.x, cy: n.y, r: 7 }),
        svg("text", { x: n.x + 10, y: n.y + 4 }, `${n.e.name} (${n.e.type})`),
        svg("title", {}, (n.e.observations || []).join("\n")));
      picture.append(group);
    }
    return picture;
  }
  async function showGraph(name) {
    $("graph-q").value = name;
    try {
      const found = await api("/api/graph" + query({ name, depth: 2 }));
      $("graph").replaceChildren(found.entities.length
        ? drawGraph(found, new Set([name]), 900, 520)
        : el("p", { class: "muted" }, `no entity named \u201c${name}\u201d`));
      if (found.memories.length) $("graph").append(el("h2", {}, "Linked memories"), el("ol", {}, found.memories.map((m) => card(m))));
    } catch (error) { failed(error); }
  }
  async function searchGraph(text) {
    if (!text) {
      $("graph").replaceChildren(el("p", { class: "muted" }, "Type an entity's name (or words of its notes) to see the graph around it."));
      return;
    }
    try {
      const found = await api("/api/graph" + query({ q: text, depth: 1 }));
      $("graph").replaceChildren(found.entities.length
        ? drawGraph(found, new Set(), 900, 520)
        : el("p", { class: "muted" }, `no entity matches \u201c${text}\u201d (graph_upsert and graph_build fill the graph)`));
    } catch (error) { failed(error); }
  }

  function episodeCard(episode) {
    return el("li", { class: "card", "data-testid": "episode" },
      el("div", {}, el("span", { class: `badge ${episode.outcome === "success" ? "ok" : "fail"}` }, episode.outcome || "open"), " ", episode.task),
      el("ol", {}, (episode.steps || []).map((s) => el("li", { class: s.ok === false ? "fail" : "" }, `${s.number}. ${s.action}${s.result ? " \u2192 " + s.result : ""}`))),
      episode.lesson ? el("div", { class: "why" }, `lesson: ${episode.lesson}`) : null,
      el("div", { class: "meta" }, el("span", {}, episode.id), el("span", {}, when(episode.completed_at))));
  }
  async function loadEpisodes() {
    try {
      const found = await api("/api/episodes" + query({ project: state.filters.project, limit: 50 }));
      $("episodes").replaceChildren(...(found.episodes.length ? found.episodes.map(episodeCard) : [el("p", { class: "muted" }, "no episodes yet")]));
    } catch (error) { failed(error); }
  }

  // What the agent sees, stats and health.
  async function loadAgent() {
    try {
      const found = await api("/api/preview/session" + query({ project: state.filters.project }));
      $("session-block").textContent = found.text || "(nothing: a new session starts without a block)";
    } catch (error) { failed(error); }
  }
  async function previewContext(task) {
    try {
      const found = await api("/api/preview/context" + query({ task, project: state.filters.project }));
      $("context-block").textContent = `${found.text}\n\n(${found.tokens} of ${found.budget} tokens; ids ${found.ids.join(", ") || "none"})`;
    } catch (error) { failed(error); }
  }
  async function loadHealth() {
    try {
      const { stats, health, project } = await api("/api/stats");
      $("where").textContent = `${stats.memories} memories \u00b7 project ${project || "global"}`;
      const rows = (map) => el("table", {}, Object.entries(map).map(([k, v]) => el("tr", {}, el("td", {}, k || "global"), el("td", {}, v))));
      $("health").replaceChildren(
        el("h2", {}, "Health"),
        el("ul", {}, (health.checks || []).map((c) => el("li", { class: c.ok ? "ok" : "fail" }, `${c.ok ? "\u2713" : "\u2717"} ${c.name}: ${c.detail}`))),
        el("h2", {}, "Memories"), el("p", {}, `${stats.memories} live, ${stats.deleted} deleted, ${stats.pending_embeddings} waiting for their vector; ${stats.database_path}`),
        el("h2", {}, "By kind"), rows(stats.by_kind), el("h2", {}, "By project"), rows(stats.by_project), el("h2", {}, "Top tags"), rows(stats.top_tags));
    } catch (error) { failed(error); }
  }

  const loaders = { memories: loadList, timeline: loadTimeline, graph: () => searchGraph($("graph-q").value.trim()), episodes: loadEpisodes, agent: loadAgent, health: loadHealth };
  function switchTab(tab) {
    state.tab = tab;
    for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.tab === tab);
    for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${tab}`;
    loaders[tab]();
  }
  function applyFilters() {
    const form = new FormData($("filters"));
    state.filters = {};
    for (const key of ["project", "kind", "tag", "since", "until", "retired"]) {
      const value = (form.get(key) || "").toString().trim();
      if (value) state.filters[key] = value;
    }
    state.offset = 0;
    loadList();
  }

  // Another client wrote: read again (the write stamp changes with every store, change or delete).
  async function watch() {
    try {
      const { stamp } = await api("/api/stamp");
      if (state.stamp !== null && stamp !== state.stamp) {
        $("live").textContent = `updated ${new Date().toLocaleTimeString()}`;
        if (state.tab === "memories") await loadList();
        else loaders[state.tab]();
      }
      state.stamp = stamp;
    } catch (error) { $("live").textContent = "viewer stopped?"; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => switchTab(button.dataset.tab));
    for (const kind of ["decision", "convention", "preference", "lesson", "fact", "note", "session"]) $("filters").kind.append(el("option", { value: kind }, kind));
    $("filters").addEventListener("submit", (event) => { event.preventDefault(); applyFilters(); });
    $("search-form").addEventListener("submit", (event) => { event.preventDefault(); state.query = $("search").value.trim(); switchTab("memories"); });
    $("search").addEventListener("input", () => { if (!$("search").value.trim() && state.query) { state.query = ""; loadList(); } });
    $("newer").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadList(); });
    $("older").addEventListener("click", () => { state.offset += PAGE; loadList(); });
    $("graph-form").addEventListener("submit", (event) => { event.preventDefault(); const q = $("graph-q").value.trim(); q ? showGraph(q) : searchGraph(""); });
    $("context-form").addEventListener("submit", (event) => { event.preventDefault(); previewContext($("task").value.trim()); });
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDetail(); });
    loadList();
    loadHealth();
    watch();
    setInterval(watch, 2000);
  });
})();
