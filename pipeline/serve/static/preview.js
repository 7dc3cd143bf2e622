// The preview of one published page: the page itself in a frame (served byte for
// byte), reloaded when the server says a build finished (server-sent events, no
// polling), with the overlays the server computes drawn over it.
"use strict";

const PREVIEW = "/__preview/";
const OVERLAYS = ["readability", "translation", "print"];
const BLOCK_TAGS = new Set(["P", "UL", "OL", "LI", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "DIV",
  "BLOCKQUOTE", "H1", "H2", "H3", "H4", "H5", "H6", "PRE", "FIGURE", "HR"]);
const CONTAINERS = new Set(["DIV", "BLOCKQUOTE", "TABLE", "THEAD", "TBODY", "TR"]);
const DEVANAGARI_DIGITS = "०१२३४५६७८९";
const STATUS_WORDS = {translated: "translated", source: "source language", fuzzy: "fuzzy",
  missing: "missing", rejected: "rejected by QA"};

const view = {
  path: "",           // the page, relative to the output folder
  on: new Set(),      // overlays switched on
  data: null,         // the server's answer for the page
  generation: -1,     // of the web pages the frame shows
  pdfGeneration: -1,
  scroll: null,       // the frame's scroll position, kept across reloads
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// --- the address -------------------------------------------------------------------------

function readAddress() {
  const url = new URL(location.href);
  view.path = decodeURIComponent(url.pathname.slice(PREVIEW.length)) || "";
  const overlay = url.searchParams.get("overlay") || "";
  view.on = new Set(overlay.split(",").filter((name) => OVERLAYS.includes(name)));
}

function writeAddress() {
  const url = new URL(location.href);
  url.pathname = PREVIEW + view.path;
  if (view.on.size) url.searchParams.set("overlay", [...view.on].join(","));
  else url.searchParams.delete("overlay");
  history.replaceState(null, "", url);
}

// --- the build's state -------------------------------------------------------------------

function showState(state) {
  const status = $("status");
  if (state.building === "html") status.textContent = "Building web pages…";
  else if (state.building === "pdf") status.textContent = "Built; making PDFs…";
  else if (state.generation > 0) status.textContent = `Built in ${state.seconds.toFixed(2)} s`;
  const box = $("errors");
  box.replaceChildren();
  if (state.errors.length) {
    box.append(el("h2", {}, state.errors.length === 1 ? "The last build found an error; the page shows the last good build"
      : `The last build found ${state.errors.length} errors; the page shows the last good build`));
    for (const error of state.errors) box.append(el("pre", {class: "error"}, error));
  }
  box.hidden = !state.errors.length;
}

let events = null;

// Events from the server; it builds the page named here first after a save.
function listen() {
  if (events) events.close();
  events = new EventSource(`/__serve/events?page=${encodeURIComponent(view.path)}`);
  events.addEventListener("build", (event) => {
    const state = JSON.parse(event.data);
    showState(state);
    if (state.building) return;
    const ours = !state.rebuilt || state.rebuilt.includes(view.path);
    if (ours) view.latest = state.generation;
    if (ours && state.generation > view.generation) refresh(true);
    else if (state.pdf_generation !== view.pdfGeneration && view.on.has("print")) refresh(false);
  });
  events.onerror = () => { $("status").textContent = "Not connected to the server (retrying)"; };
}

// --- loading ------------------------------------------------------------------------------

let loading = null;

async function fetchData() {
  const show = [...view.on].join(",");
  const response = await fetch(`/__serve/api/page?path=${encodeURIComponent(view.path)}&show=${show}`,
    {cache: "no-store"});
  return response.json();
}

// Fetch what the overlays show and, when the pages were rebuilt (or ``reload`` is
// "force": an overlay was switched), load the page afresh; then draw. A refresh asked
// for while one runs runs again after it, so the last build is always the one shown.
async function refresh(reload) {
  if (loading) { loading.again = loading.again === "force" ? "force" : (reload || loading.again || "data"); return; }
  loading = {again: false};
  try {
    const frame = $("page");
    const known = view.latest;  // told by the last event: load the page and its data side by side
    const stale = known !== undefined && known !== view.generation;
    const early = (reload === "force" || (reload && stale)) && known !== undefined ? loadFrame(known) : null;
    const data = await fetchData();
    if (early) await early;
    if (!early && (reload === "force" || !frame.getAttribute("src") || (reload && data.state.generation !== view.generation))) {
      await loadFrame(data.state.generation);
    }
    view.data = data;
    view.pdfGeneration = data.state.pdf_generation;
    showState(data.state);
    draw();
  } finally {
    const again = loading.again;
    loading = null;
    if (again) refresh(again === "data" ? false : again);
  }
}

function loadFrame(generation) {
  const frame = $("page");
  return new Promise((resolve) => {
    try {
      const win = frame.contentWindow;
      if (win && win.location.pathname === "/" + view.path) view.scroll = [win.scrollX, win.scrollY];
    } catch (error) { view.scroll = null; }
    frame.addEventListener("load", () => {
      view.generation = generation;
      const win = frame.contentWindow;
      if (view.scroll && win) win.scrollTo(view.scroll[0], view.scroll[1]);
      resolve();
    }, {once: true});
    frame.src = "/" + view.path + "?v=" + generation;
  });
}

// A link followed inside the page: preview the new page instead.
function followFrame() {
  const frame = $("page");
  frame.addEventListener("load", () => {
    let path;
    try { path = decodeURIComponent(frame.contentWindow.location.pathname).replace(/^\//, ""); }
    catch (error) { return; }
    if (path && path !== view.path) {
      view.path = path;
      writeAddress();
      setTitle();
      listen();
      refresh(false);
    }
  });
}

function setTitle() {
  const link = $("page-link");
  link.textContent = view.path || "(the output folder)";
  link.href = "/" + view.path;
  document.title = `Preview: ${view.path}`;
}

// --- the page's blocks ------------------------------------------------------------------

// The page's elements of the handout's blocks, in the order Python-Markdown meets them
// (pipeline/markup.py): the title, the summary, then the body's headings, paragraphs,
// list items and table cells. The body lies between the page's own parts (crisis box,
// review dates, notices) and the help section.
function pageBlocks(doc) {
  const article = doc.querySelector("main article") || doc.querySelector("article");
  if (!article) return [];
  const found = [article.querySelector(":scope > h1"), article.querySelector(":scope > p.summary")];
  const children = Array.from(article.children);
  let start = 0;
  children.forEach((child, index) => {
    if (child.matches("h1, p.summary, section.crisis-box, p.reviewed, p.next-review, p.notice")) start = index + 1;
  });
  let end = children.findIndex((child) => child.matches("section.get-help"));
  if (end < 0) end = children.length;
  for (const child of children.slice(start, end)) walk(child, found);
  return found;
}

function hasOwnContent(element) {
  for (const node of element.childNodes) {
    if (node.nodeType === Node.TEXT_NODE && node.data.trim()) return true;
    if (node.nodeType === Node.ELEMENT_NODE && !BLOCK_TAGS.has(node.tagName)) {
      if (node.tagName === "IMG" || node.textContent.trim()) return true;
    }
  }
  return false;
}

function walk(element, found) {
  const tag = element.tagName;
  if (/^H[1-6]$/.test(tag) || tag === "P" || tag === "TH" || tag === "TD") {
    if (hasOwnContent(element)) found.push(element);
  } else if (tag === "LI") {
    if (hasOwnContent(element)) found.push(element);
    for (const child of element.children) walk(child, found);
  } else if (tag === "UL" || tag === "OL" || CONTAINERS.has(tag)) {
    for (const child of element.children) walk(child, found);
  }
}

// --- finding text in the page -----------------------------------------------------------

function normalChar(ch) {
  const digit = DEVANAGARI_DIGITS.indexOf(ch);
  if (digit >= 0) return String(digit);
  if (ch === "’" || ch === "‘") return "'";
  return ch;
}

function normalize(text) {
  let out = "";
  for (const ch of text) {
    if (/\s/.test(ch)) { if (out && !out.endsWith(" ")) out += " "; }
    else out += normalChar(ch);
  }
  return out.trim();
}

// The element's text, whitespace folded, with where each character came from.
function textMap(element) {
  const doc = element.ownerDocument;
  const walker = doc.createTreeWalker(element, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.parentElement.closest(".hp-badge") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  let text = "";
  const where = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const data = node.data;
    for (let i = 0; i < data.length; i++) {
      const ch = data[i];
      if (/\s/.test(ch)) {
        if (text && !text.endsWith(" ")) { text += " "; where.push([node, i]); }
      } else {
        text += normalChar(ch);
        where.push([node, i]);
      }
    }
  }
  return {text, where};
}

// Wrap the text ``needle`` inside ``element`` in <mark>s (one per text node it spans).
function markText(element, needle, make) {
  const wanted = normalize(needle);
  if (!wanted) return [];
  const map = textMap(element);
  let at = map.text.indexOf(wanted);
  if (at < 0) at = map.text.toLowerCase().indexOf(wanted.toLowerCase());
  if (at < 0) return [];
  const first = map.where[at], last = map.where[at + wanted.length - 1];
  const nodes = [];
  const walker = element.ownerDocument.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let inside = false;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node === first[0]) inside = true;
    if (inside) nodes.push(node);
    if (node === last[0]) break;
  }
  const marks = [];
  for (const node of nodes) {
    let target = node;
    const from = node === first[0] ? first[1] : 0;
    const to = node === last[0] ? last[1] + 1 : node.data.length;
    if (to <= from || !node.data.slice(from, to).trim()) continue;
    if (to < target.data.length) target.splitText(to);
    if (from > 0) target = target.splitText(from);
    const mark = make();
    target.parentNode.insertBefore(mark, target);
    mark.append(target);
    marks.push(mark);
  }
  return marks;
}

// --- drawing ----------------------------------------------------------------------------

function frameDocument() {
  try { return $("page").contentDocument; } catch (error) { return null; }
}

function draw() {
  const data = view.data;
  const doc = frameDocument();
  for (const name of OVERLAYS) $(`${name}-panel`).hidden = !view.on.has(name);
  for (const name of OVERLAYS) $(`toggle-${name}`).setAttribute("aria-pressed", String(view.on.has(name)));
  $("panel").hidden = !view.on.size;
  if (!data || !doc) return;
  const overlayOn = view.on.has("readability") || view.on.has("translation");
  if (overlayOn && !doc.getElementById("hp-overlay-css")) {
    doc.head.append(Object.assign(doc.createElement("link"),
      {id: "hp-overlay-css", rel: "stylesheet", href: "/__serve/static/overlay.css"}));
  }
  if (!doc.hpDrawn) {  // a page is drawn on once: a new build or overlay loads it afresh
    doc.hpDrawn = true;
    const blocks = pageBlocks(doc);
    if (view.on.has("readability")) drawReadability(data, doc, blocks);
    if (view.on.has("translation")) drawTranslation(data, doc, blocks);
  }
  if (view.on.has("print")) drawPrint(data);
}

function noPage(body, data, what) {
  body.replaceChildren(el("p", {}, data.page ? (data[what] && data[what].error) || (data[what] && data[what].reason) || ""
    : `This page is not a handout: there is no ${what} overlay for it.`));
}

function placementNote(blocks, data) {
  if (!data.page || blocks.length === (data.blocks || []).length) return null;
  return el("p", {class: "fail"}, `The page has ${blocks.length} blocks and the handout ${data.blocks.length}: `
    + "marks may be on the wrong block (the page is older than the handout: see the errors above).");
}

function jumpTo(element, flashPanelItem) {
  if (!element) return;
  const doc = element.ownerDocument;
  doc.querySelectorAll(".hp-current").forEach((node) => node.classList.remove("hp-current"));
  element.classList.add("hp-current");
  element.scrollIntoView({block: "center", behavior: "smooth"});
  if (flashPanelItem) { flashPanelItem.classList.remove("flash"); void flashPanelItem.offsetWidth; flashPanelItem.classList.add("flash"); }
}

const GROUPS = [
  ["Hardest sentences", ["hard_sentence", "harder_than_source"]],
  ["Words", ["hard_word", "medical_term", "term_before_explained", "abbreviation", "long_word"]],
  ["Passive voice", ["passive_voice"]],
];

function drawReadability(data, doc, blocks) {
  const body = $("readability-body");
  const report = data.readability;
  if (!data.page || !report || !report.available) { noPage(body, data, "readability"); return; }
  const items = new Map();
  // marks in the page: sentences first, then words inside them, then whole blocks
  const order = {sentence: 0, word: 1, block: 2, none: 3};
  const flags = [...report.flags].sort((a, b) => order[a.mark] - order[b.mark]);
  for (const flag of flags) {
    const element = flag.block !== null ? blocks[flag.block] : null;
    flag.placed = null;
    if (!element) continue;
    const tip = `${flag.message}${flag.suggestion ? " → " + flag.suggestion : ""} (${flag.where})`;
    if (flag.mark === "sentence" || flag.mark === "word") {
      const marks = markText(element, flag.page_text, () => {
        const mark = doc.createElement("mark");
        mark.className = `hp-flag hp-${flag.mark}`;
        mark.dataset.flag = flag.id;
        mark.dataset.kind = flag.kind;
        mark.dataset.line = flag.line;
        mark.title = tip;
        return mark;
      });
      if (marks.length) { flag.placed = marks[0]; continue; }
    }
    element.classList.add("hp-block-flag");
    element.dataset.hpFlags = ((element.dataset.hpFlags || "") + " " + flag.id).trim();
    element.title = (element.title ? element.title + "\n" : "") + tip;
    flag.placed = element;
  }
  const passed = report.passed;
  const lead = report.measures.find((m) => m.measure === report.lead);
  const children = [
    el("p", {class: "grade"}, `${report.lead_label}: `, el("strong", {}, lead ? lead.shown : "–"),
      lead && lead.limit !== null ? ` (target ≤ ${lead.limit_shown}) ` : " ",
      el("span", {class: passed ? "pass" : "fail"}, passed ? "meets its targets" : "misses its target")),
    el("ul", {class: "measures"}, report.measures.filter((m) => m.measure !== report.lead).map((m) =>
      el("li", {}, `${m.label}: ${m.shown}`, m.limit !== null ? ` (target ${m.limit_shown})` : "",
        m.miss ? el("span", {class: "fail"}, ` — ${m.miss}`) : ""))),
    el("p", {class: "where-line"}, report.file),
    placementNote(blocks, data),
  ];
  if (report.sections.length && report.limit) {
    const scale = Math.max(report.limit * 1.5, ...report.sections.map((s) => s.value));
    children.push(el("h3", {}, "Sections"), el("ul", {class: "sections"}, report.sections.map((section) => {
      const over = !section.passed;
      const fill = el("span", {class: over ? "bar-fill over" : "bar-fill"});
      fill.style.width = `${Math.min(100, 100 * section.value / scale)}%`;
      const limit = el("span", {class: "bar-limit"});
      limit.style.left = `${100 * report.limit / scale}%`;
      const target = section.block !== null ? blocks[section.block] : null;
      const misses = section.misses.length ? `misses: ${section.misses.join("; ")}` : "meets its targets";
      return el("li", {title: misses},
        el("button", {type: "button", onclick: () => jumpTo(target)}, section.title),
        el("span", {class: "bar-track", role: "img",
          "aria-label": `${report.lead_label} ${section.shown}; ${misses}`}, fill, limit),
        el("span", {class: over ? "fail" : "pass"}, section.shown));
    })));
  }
  const listed = new Set();
  const groups = GROUPS.map(([title, kinds]) => [title, report.flags.filter((f) => kinds.includes(f.kind))]);
  groups.push(["Clear communication", report.flags.filter((f) => !GROUPS.some(([, kinds]) => kinds.includes(f.kind)))]);
  for (const [title, flags] of groups) {
    if (!flags.length) continue;
    children.push(el("h3", {}, `${title} (${flags.length})`));
    children.push(el("ul", {}, flags.map((flag) => {
      listed.add(flag.id);
      const item = el("li", {"data-flag": flag.id},
        el("button", {type: "button", class: "flag", onclick: () => jumpTo(flag.placed, item)},
          el("span", {class: "where-line"}, flag.where), flag.grade !== null && report.measure === "english" ? ` grade ${flag.grade.toFixed(1)}` : ""),
        el("span", {class: "quote"}, `“${flag.text}”`),
        el("span", {class: "why"}, flag.message),
        flag.suggestion ? el("span", {class: "fix"}, "→ " + flag.suggestion) : null,
        flag.placed ? null : el("span", {class: "why"}, "(not on this page)"));
      items.set(flag.id, item);
      return item;
    })));
  }
  if (!report.flags.length) children.push(el("p", {}, "Nothing to change."));
  body.replaceChildren(...children.filter(Boolean));
  doc.addEventListener("click", (event) => {
    const mark = event.target.closest && event.target.closest("[data-flag], [data-hp-flags]");
    if (!mark) return;
    const id = Number(mark.dataset.flag ?? mark.dataset.hpFlags.split(" ")[0]);
    const item = items.get(id);
    if (item) { item.scrollIntoView({block: "nearest"}); jumpTo(mark, item); }
  });
}

function drawTranslation(data, doc, blocks) {
  const body = $("translation-body");
  const info = data.translation;
  if (!data.page || !info || info.available === false) { noPage(body, data, "translation"); return; }
  const children = [];
  if (info.is_source) {
    children.push(el("p", {}, "This page is in the source language: nothing here is translated."));
  } else {
    children.push(el("p", {class: "grade"}, el("strong", {}, `${info.percent}%`), ` translated: ${info.translated} of ${info.total} blocks`));
    children.push(el("ul", {class: "counts"}, ["translated", "fuzzy", "missing", "rejected"].map((status) =>
      el("li", {}, el("span", {class: `chip ${status}`}, STATUS_WORDS[status]), ` ${info.counts[status] || 0}`))));
    children.push(el("p", {class: "where-line"}, info.catalog));
  }
  children.push(placementNote(blocks, data));
  for (const qa of info.qa_errors) children.push(el("p", {class: "fail"}, qa));
  const list = el("ul", {});
  for (const block of info.blocks) {
    const element = blocks[block.index];
    if (element) {
      element.dataset.hpStatus = block.status;
      element.dataset.hpBlock = block.index;
      if (!["translated", "source"].includes(block.status)) {
        const badge = doc.createElement("span");
        badge.className = `hp-badge ${block.status}`;
        badge.lang = "en";
        badge.textContent = STATUS_WORDS[block.status] + (block.where ? ` · ${block.where}` : "");
        badge.title = block.message || (block.previous ? `was made for: ${block.previous}` : "");
        element.prepend(badge);
      }
    }
    if (["translated", "source"].includes(block.status)) continue;
    const item = el("li", {"data-status": block.status},
      el("button", {type: "button", class: "block-state", onclick: () => jumpTo(element, item)},
        el("span", {class: `chip ${block.status}`}, STATUS_WORDS[block.status]), " ",
        el("span", {class: "where-line"}, block.where || block.source_where)),
      el("span", {class: "quote"}, `“${block.source}”`),
      block.message ? el("span", {class: "why"}, block.message) : null,
      block.previous ? el("span", {class: "previous"}, "Translated for the earlier source: ", el("del", {}, block.previous)) : null,
      el("span", {class: "where-line"}, `source: ${block.source_where}`));
    list.append(item);
  }
  if (list.children.length) children.push(el("h3", {}, `Blocks to work on (${list.children.length})`), list);
  else if (!info.is_source) children.push(el("p", {}, "Every block is translated."));
  body.replaceChildren(...children.filter(Boolean));
}

function drawPrint(data) {
  const body = $("print-body");
  const info = data.print;
  if (!data.page || !info) { noPage(body, data, "print"); return; }
  const children = [];
  for (const pdf of info.formats) {
    const name = pdf.format === "pdf" ? "PDF" : "Large-print PDF";
    children.push(el("h3", {}, name));
    if (!pdf.exists) {
      children.push(el("p", {}, pdf.status === "published" ? "Being made…" : `Not published (${pdf.status})`,
        pdf.reason ? `: ${pdf.reason}` : ""));
      continue;
    }
    const fill = pdf.last_page_fill === null || pdf.last_page_fill === undefined ? "" : `, last page ${pdf.last_page_fill}% full`;
    children.push(el("p", {}, el("a", {href: `/${pdf.path}?v=${data.state.pdf_generation}`, type: "application/pdf"},
      `${pdf.pages} page${pdf.pages === 1 ? "" : "s"}${fill}`), pdf.status !== "published" ? ` (${pdf.status}: ${pdf.reason})` : ""));
    if (pdf.format === "pdf") {
      const pages = el("div", {class: "pages"});
      for (let page = 1; page <= pdf.pages; page++) {
        const full = pdf.fills && pdf.fills.length >= page ? ` · ${pdf.fills[page - 1]}% full` : "";
        pages.append(el("figure", {},
          el("img", {loading: "lazy", alt: `Page ${page} of ${pdf.pages} of the PDF`,
            src: `/__serve/api/pdf-page?path=${encodeURIComponent(pdf.path)}&page=${page}&v=${data.state.pdf_generation}`}),
          el("figcaption", {}, `Page ${page}${full}`)));
      }
      children.push(pages);
    }
  }
  body.replaceChildren(...children);
}

// --- switching overlays -----------------------------------------------------------------

function toggle(name) {
  if (view.on.has(name)) view.on.delete(name);
  else view.on.add(name);
  writeAddress();
  $(`toggle-${name}`).setAttribute("aria-pressed", String(view.on.has(name)));
  // the page is drawn on afresh: load it again from disk, then draw what is on
  refresh("force");
}

function shortcut(event) {
  if (!event.altKey || !event.shiftKey) return;
  const name = {KeyR: "readability", KeyT: "translation", KeyP: "print"}[event.code];
  if (name) { event.preventDefault(); toggle(name); }
}

function start() {
  readAddress();
  setTitle();
  for (const name of OVERLAYS) $(`toggle-${name}`).addEventListener("click", () => toggle(name));
  document.addEventListener("keydown", shortcut);
  // the same keys while the focus is in the page
  $("page").addEventListener("load", () => {
    const doc = frameDocument();
    if (doc) doc.addEventListener("keydown", shortcut);
  });
  followFrame();
  refresh("force");
  listen();
}

start();
