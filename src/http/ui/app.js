// Schemata's built-in UI: subjects, versions, schemas and side-by-side diffs, over the same
// REST API every client uses. Plain JavaScript, no build step; every value from the registry is
// inserted as text, never as HTML.
"use strict";

const main = document.getElementById("main");
const crumbs = document.getElementById("crumbs");

// --- tiny DOM helpers ---------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}
const enc = encodeURIComponent;
const link = (href, text) => el("a", { href }, text);

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/vnd.schemaregistry.v1+json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(`${body.message} (error ${body.error_code})`);
  return body;
}

function show(title, crumbList, ...content) {
  document.title = title ? `${title} · Schemata` : "Schemata";
  crumbs.replaceChildren(...crumbList.map(([href, text]) => el("li", {}, href ? link(href, text) : text)));
  main.replaceChildren(...content);
  window.scrollTo(0, 0);
  main.focus({ preventScroll: true });
}

function failure(error) {
  return el("p", { class: "error", role: "alert" }, error.message);
}

// --- pretty printing ---------------------------------------------------------------------
function pretty(schemaType, text) {
  if (schemaType === "PROTOBUF") return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// --- contexts: a subject named `:.ctx:name` is `name` of context `.ctx` ----------------------
function contextOf(subject) {
  const end = subject.startsWith(":.") ? subject.indexOf(":", 2) : -1;
  return end > 0 ? subject.slice(1, end) : ".";
}
function nameOf(subject) {
  return contextOf(subject) === "." ? subject : subject.slice(subject.indexOf(":", 2) + 1);
}

// --- pages ---------------------------------------------------------------------------------
async function subjectsPage(query) {
  const [subjects, contexts] = await Promise.all([api("/subjects"), api("/contexts")]);
  const list = el("ul", { class: "subjects", "aria-label": "Subjects" });
  const search = el("input", {
    type: "search", placeholder: "Search subjects", "aria-label": "Search subjects", value: query || "",
  });
  const context = el("select", { "aria-label": "Context" },
    el("option", { value: "" }, "All contexts"),
    contexts.map((c) => el("option", { value: c }, c === "." ? "Default context (.)" : c)));
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const shown = subjects.filter((s) => s.toLowerCase().includes(q)
      && (!context.value || contextOf(s) === context.value));
    list.replaceChildren(...shown.map((s) => el("li", {}, link(`#/subjects/${enc(s)}`, nameOf(s)),
      contextOf(s) === "." ? null : [" ", el("span", { class: "context" }, contextOf(s))])));
    count.textContent = `${shown.length} of ${subjects.length} subjects`;
  };
  const count = el("p", { class: "muted", "aria-live": "polite" });
  search.addEventListener("input", render);
  context.addEventListener("change", render);
  render();
  // The context filter only where there is more than the default context.
  const filters = contexts.length > 1 ? [context, search] : [search];
  show("Subjects", [[null, "Subjects"]], el("h1", {}, "Subjects"), ...filters, count, list);
  search.focus();
}

async function subjectPage(subject) {
  const [versions, config, mode] = await Promise.all([
    api(`/subjects/${enc(subject)}/versions`),
    api(`/config/${enc(subject)}?defaultToGlobal=true`),
    api(`/mode/${enc(subject)}?defaultToGlobal=true`),
  ]);
  const latest = await api(`/subjects/${enc(subject)}/versions/latest`);
  const type = latest.schemaType || "AVRO";
  const options = (selected) =>
    versions.map((v) => el("option", v === selected ? { value: v, selected: "" } : { value: v }, `version ${v}`));
  const from = el("select", { id: "from" }, options(versions[Math.max(0, versions.length - 2)]));
  const to = el("select", { id: "to" }, options(versions[versions.length - 1]));
  const compare = el("form", {
    class: "compare",
    onsubmit: (e) => {
      e.preventDefault();
      location.hash = `#/subjects/${enc(subject)}/diff/${from.value}/${to.value}`;
    },
  }, el("label", { for: "from" }, "From", from), el("label", { for: "to" }, "To", to),
     el("button", { type: "submit" }, "Compare"));
  const rows = versions.map((v) => el("tr", {},
    el("td", {}, link(`#/subjects/${enc(subject)}/versions/${v}`, `version ${v}`)),
    el("td", {}, v > 1 && versions.includes(v - 1)
      ? link(`#/subjects/${enc(subject)}/diff/${v - 1}/${v}`, `changes since ${v - 1}`) : "")));
  show(subject, [["#/", "Subjects"], [null, subject]],
    el("h1", {}, subject),
    el("dl", { class: "facts" },
      el("div", {}, el("dt", {}, "Context"), el("dd", {}, contextOf(subject))),
      el("div", {}, el("dt", {}, "Compatibility"), el("dd", {}, config.compatibilityLevel)),
      el("div", {}, el("dt", {}, "Mode"), el("dd", {}, mode.mode)),
      el("div", {}, el("dt", {}, "Type"), el("dd", {}, type)),
      el("div", {}, el("dt", {}, "Latest"), el("dd", {}, `version ${latest.version}, id ${latest.id}`))),
    el("h2", {}, "Compare two versions"), compare,
    el("h2", {}, "Versions"),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Version"), el("th", {}, "Diff"))), el("tbody", {}, rows)),
    el("h2", {}, `Latest schema (version ${latest.version})`),
    el("pre", { class: "schema", tabindex: "0", "aria-label": "Latest schema" }, pretty(type, latest.schema)));
}

async function versionPage(subject, version) {
  const v = await api(`/subjects/${enc(subject)}/versions/${enc(version)}`);
  const type = v.schemaType || "AVRO";
  show(`${subject} v${v.version}`, [["#/", "Subjects"], [`#/subjects/${enc(subject)}`, subject], [null, `version ${v.version}`]],
    el("h1", {}, `${subject}, version ${v.version}`),
    el("dl", { class: "facts" },
      el("div", {}, el("dt", {}, "Id"), el("dd", {}, v.id)),
      el("div", {}, el("dt", {}, "Type"), el("dd", {}, type)),
      v.references ? el("div", {}, el("dt", {}, "References"),
        el("dd", {}, v.references.map((r) => `${r.name} → ${r.subject} v${r.version}`).join(", "))) : null),
    el("pre", { class: "schema", tabindex: "0", "aria-label": "Schema" }, pretty(type, v.schema)));
}

// Longest-common-subsequence line diff: rows of [kind, left, right].
function lineDiff(a, b) {
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const rows = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { rows.push(["same", a[i++], b[j++]]); }
    // On a tie, removals first, so a replaced line pairs with its replacement below.
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) { rows.push(["removed", a[i++], null]); }
    else { rows.push(["added", null, b[j++]]); }
  }
  // A removal followed by an addition reads best as one changed line.
  const merged = [];
  for (const row of rows) {
    const last = merged[merged.length - 1];
    if (row[0] === "added" && last && last[0] === "removed" && last[2] === null) { last[0] = "changed"; last[2] = row[2]; }
    else merged.push(row);
  }
  return merged;
}

function sideBySide(leftTitle, left, rightTitle, right) {
  const grid = el("div", { class: "side-by-side code", role: "table", "aria-label": "Side-by-side diff" },
    el("div", { class: "head left", role: "columnheader" }, leftTitle),
    el("div", { class: "head", role: "columnheader" }, rightTitle));
  for (const [kind, l, r] of lineDiff(left.split("\n"), right.split("\n"))) {
    const cls = (side) => ({ same: "", added: side === "l" ? "empty" : "added", removed: side === "l" ? "removed" : "empty",
      changed: side === "l" ? "changed-old" : "changed-new" })[kind];
    grid.append(
      el("div", { class: `cell left ${cls("l")}`, role: "cell", "data-kind": kind }, l ?? ""),
      el("div", { class: `cell ${cls("r")}`, role: "cell", "data-kind": kind }, r ?? ""));
  }
  return grid;
}

const verdict = (ok, yes, no) => el("span", { class: `verdict ${ok ? "ok" : "bad"}` }, ok ? yes : no);

async function diffPage(subject, from, to) {
  const [d, a, b] = await Promise.all([
    api(`/subjects/${enc(subject)}/diff?from=${enc(from)}&to=${enc(to)}`),
    api(`/subjects/${enc(subject)}/versions/${enc(from)}?deleted=true`),
    api(`/subjects/${enc(subject)}/versions/${enc(to)}?deleted=true`),
  ]);
  const type = d.schemaType;
  const changes = d.changes.length === 0
    ? el("p", { class: "muted" }, "No differences.")
    : el("table", { id: "changes" },
        el("thead", {}, el("tr", {}, ...["Change", "Where", "What", "Backward", "Forward"].map((h) => el("th", {}, h)))),
        el("tbody", {}, d.changes.map((c) => el("tr", {},
          el("td", { class: "code" }, c.rule), el("td", { class: "code" }, c.path), el("td", {}, c.description),
          el("td", {}, verdict(c.backward_compatible, "compatible", "breaks")),
          el("td", {}, verdict(c.forward_compatible, "compatible", "breaks"))))));
  show(`${subject} v${d.from}→v${d.to}`,
    [["#/", "Subjects"], [`#/subjects/${enc(subject)}`, subject], [null, `diff ${d.from} → ${d.to}`]],
    el("h1", {}, `${subject}: version ${d.from} → ${d.to}`),
    el("p", { id: "verdict" },
      "New reads old (backward): ", verdict(d.backward_compatible, "yes", "no"), " · ",
      "old reads new (forward): ", verdict(d.forward_compatible, "yes", "no")),
    el("h2", {}, `Changes (${d.changes.length})`), changes,
    el("h2", {}, "Side by side"),
    sideBySide(`version ${d.from}`, pretty(type, a.schema), `version ${d.to}`, pretty(type, b.schema)));
}

// --- routing -------------------------------------------------------------------------------
async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "subjects" && parts.length === 2) await subjectPage(parts[1]);
    else if (parts[0] === "subjects" && parts[2] === "versions" && parts.length === 4) await versionPage(parts[1], parts[3]);
    else if (parts[0] === "subjects" && parts[2] === "diff" && parts.length === 5) await diffPage(parts[1], parts[3], parts[4]);
    else await subjectsPage();
  } catch (error) {
    show("Error", [["#/", "Subjects"]], failure(error));
  }
}

window.addEventListener("hashchange", route);
route();
