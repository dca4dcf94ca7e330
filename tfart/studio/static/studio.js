// tfart studio: the page. Plain JavaScript, no build step; the server holds every state.
"use strict";
const $ = (id) => document.getElementById(id);
let view = null;          // the server's last /api/state
let selected = [];        // genome ids, in the order clicked; the last is the focus
const live = {};          // genome id -> steer task id (its picture updates while it runs)

function say(message, isError) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", !!isError);
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: body instanceof Blob ? { "Content-Type": body.type || "application/octet-stream" }
                                  : { "Content-Type": "application/json" },
    body: body instanceof Blob ? body : JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (response.status === 409) { await load(); }
  if (!response.ok) { throw new Error(data.error || response.statusText); }
  return data;
}

async function act(what, fn) {
  try { return await fn(); }
  catch (e) { say(`${what}: ${e.message}`.replace(/^(\w+): \1: /, "$1: "), true); }
}

function focus() { return selected[selected.length - 1]; }

// The session's token in the URL: thumbnails are cached for good, and another session's g00001 is another picture.
function thumb(id) { return `/api/thumb/${id}?s=${view.session}`; }

function show(state) {
  view = state;
  const shown = new Set(state.generation.map((c) => c.id));
  selected = selected.filter((id) => shown.has(id));
  const grid = $("grid");
  grid.replaceChildren(...state.generation.map((c) => {
    const card = document.createElement("div");
    card.className = "card";
    card.dataset.id = c.id;
    const img = document.createElement("img");
    img.dataset.testid = "candidate";
    img.setAttribute("data-testid", "candidate");
    img.alt = c.id;
    img.title = `${c.id}: ${c.made_by}${c.parents.length ? " of " + c.parents.join(" x ") : ""}, ${c.summary}` +
                (c.about && c.about.objective ? `, steered to ${c.about.objective}` : "");
    img.src = thumb(c.id);
    img.addEventListener("click", () => toggle(c.id));
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = `${c.id.replace(/^g0*/, "#")} ${c.made_by}`;
    card.append(img, tag);
    return card;
  }));
  $("back").disabled = state.generations < 2;
  for (const task of state.tasks) { if (!polling.has(task.id)) { follow(task, false); } }
  mark();
  drawLineage(state);
}

function mark() {
  for (const card of document.querySelectorAll(".card")) {
    card.classList.toggle("selected", selected.includes(card.dataset.id));
    card.classList.toggle("focus", card.dataset.id === focus());
    card.classList.toggle("steering", card.dataset.id in live);
  }
  $("focus-name").textContent = focus() ? `(${focus()})` : "(select a picture)";
}

function toggle(id) {
  selected = selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id];
  mark();
  say(selected.length ? `${selected.length} selected: ${selected.join(", ")}` : "nothing selected");
}

function drawLineage(state) {
  const byId = new Map(state.lineage.map((n) => [n.id, { ...n, children: [] }]));
  const shown = new Set(state.generation.map((c) => c.id));
  const chosen = new Set();
  for (const n of byId.values()) { for (const p of n.parents) { chosen.add(p); } }
  const keep = (n) => chosen.has(n.id) || shown.has(n.id);
  const roots = [];
  for (const n of byId.values()) {
    if (!keep(n)) { continue; }
    const parent = n.parents.find((p) => byId.has(p) && keep(byId.get(p)));
    (parent ? byId.get(parent).children : roots).push(n);
  }
  const tree = (nodes) => {
    const ul = document.createElement("ul");
    // Nodes with children first, so the leaves of a node share a row at its end.
    nodes = [...nodes.filter((n) => n.children.length), ...nodes.filter((n) => !n.children.length)];
    for (const n of nodes) {
      const li = document.createElement("li");
      const img = document.createElement("img");
      img.src = thumb(n.id);
      img.alt = n.id;
      img.title = `${n.id} (${n.made_by}): click to breed from it again`;
      img.setAttribute("data-testid", "lineage-node");
      img.dataset.id = n.id;
      img.classList.toggle("shown", shown.has(n.id));
      img.addEventListener("click", () => branch(n.id));
      const op = document.createElement("span");
      op.className = "op";
      op.textContent = `${n.id.replace(/^g0*/, "#")} ${n.made_by}${n.parents.length > 1 ? " of " + n.parents.map((p) => p.replace(/^g0*/, "#")).join(" x ") : ""}`;
      li.append(img, op);
      if (n.children.length) { li.append(tree(n.children)); } else { li.className = "leaf"; }
      ul.append(li);
    }
    return ul;
  };
  $("lineage").replaceChildren(tree(roots));
}

async function load() {
  const state = await fetch("/api/state").then((r) => r.json());
  show(state);
  return state;
}

function strength() { return parseFloat($("strength").value); }

async function evolve() {
  if (!selected.length) { say("Evolve: select one picture or more first", true); return; }
  const parents = [...selected];
  say(`breeding from ${parents.join(", ")}…`);
  await act("Evolve", async () => {
    const state = await api("/api/evolve", { parents, strength: strength(), version: view.version });
    selected = [];
    show(state);
    say(`generation ${state.generations}: bred from ${parents.join(", ")}`);
  });
}

async function back() {
  await act("Back", async () => {
    selected = [];
    show(await api("/api/back", { version: view.version }));
    say(`back to generation ${view.generations}`);
  });
}

async function branch(id) {
  await act("Branch", async () => {
    selected = [];
    show(await api("/api/branch", { id, strength: strength(), version: view.version }));
    say(`generation ${view.generations}: branched from ${id}`);
  });
}

async function fresh() {
  const kind = $("kind").value;
  await act("New", async () => {
    selected = [];
    show(await api("/api/new", { kind, version: view.version }));
    say(`generation ${view.generations}: new random ${kind}`);
  });
}

async function upload() {
  const file = $("upload").files[0];
  if (!file) { return; }
  await act("Upload", async () => {
    const answer = await api("/api/upload", file);
    $("objective").value = "style";
    $("target").value = answer.upload;
    say(`uploaded ${file.name} as ${answer.upload}: Steer toward its style`);
  });
  $("upload").value = "";
}

const polling = new Set();

// Follow a task until it ends; `mine`: this tab started it, so its file is downloaded here.
async function follow(task, mine = true) {
  polling.add(task.id);
  if (task.kind === "steer") { live[task.genome] = task.id; mark(); }
  let frames = 0;
  while (true) {
    const t = await fetch(`/api/task/${task.id}`).then((r) => r.json()).catch(() => null);
    if (!t) { await sleep(500); continue; }
    if (t.error && t.id === undefined) {  // the server forgot it (restarted): stop following
      polling.delete(task.id);
      delete live[task.genome];
      mark();
      say(`${task.kind} of ${task.genome}: ${t.error}`, true);
      return;
    }
    $("progress").max = t.total || 1;
    $("progress").value = t.done;
    if (t.kind === "steer" && t.frames !== frames) {
      frames = t.frames;
      const card = document.querySelector(`.card[data-id="${t.genome}"] img`);
      if (card) { card.src = `/api/task/${t.id}/frame?n=${frames}`; }
    }
    if (!t.finished) {
      if (t.kind === "steer") { say(`steering ${t.genome}: step ${t.done}/${t.total}, loss ${t.loss === null ? "…" : t.loss.toPrecision(4)}`); }
      else { say(`${t.kind} of ${t.genome}: ${t.done}/${t.total}`); }
      await sleep(250);
      continue;
    }
    polling.delete(task.id);
    delete live[t.genome];
    if (t.error) {
      if (t.kind === "steer") { await load(); }
      say(t.error, true);
    } else if (t.kind === "steer") {
      await load();
      say(`steered ${t.genome} into ${t.result} (loss ${t.first_loss.toPrecision(4)} -> ${t.loss.toPrecision(4)})`);
    } else {
      const link = document.createElement("a");
      link.href = `/api/task/${t.id}/download`;
      link.download = t.download;
      link.textContent = t.download;
      $("downloads").prepend(link);
      if (mine) { link.click(); }
      say(`${t.kind} of ${t.genome} ready: ${t.download}`);
    }
    mark();
    return;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(kind, body) {
  const id = focus();
  if (!id) { say(`${kind}: click a picture first`, true); return; }
  await act(kind[0].toUpperCase() + kind.slice(1), async () => follow(await api(`/api/${kind}`, { id, ...body })));
}

$("evolve").addEventListener("click", evolve);
$("back").addEventListener("click", back);
$("new").addEventListener("click", fresh);
$("upload").addEventListener("change", upload);
$("strength").addEventListener("input", () => { $("strength-value").textContent = strength().toFixed(2); });
$("steer").addEventListener("click", () => start("steer", {
  objective: $("objective").value, target: $("target").value.trim(),
  steps: parseInt($("steps").value, 10), size: parseInt($("steer-size").value, 10), version: view.version }));
$("render").addEventListener("click", () => start("render", { size: parseInt($("render-size").value, 10) }));
$("export").addEventListener("click", () => start("export", {}));
$("gif").addEventListener("click", () => start("gif", {}));
$("svg").addEventListener("click", () => start("svg", { size: parseInt($("render-size").value, 10) }));
$("objective").addEventListener("change", () => {
  $("target").value = { style: "skimage:coffee", channel: "block4_conv1:12", class: "7" }[$("objective").value];
});

load().then((state) => {
  $("kind").replaceChildren(...state.kinds.map((k) => new Option(k, k)));
  $("kind").value = state.generation.length ? state.generation[0].kind : state.kinds[0];
  say(`generation ${state.generations}: click pictures to select parents, then Evolve`);
}).catch((e) => say(`cannot reach the studio server: ${e.message}`, true));
