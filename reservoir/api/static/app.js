/* Reservoir dashboard: shared helpers. No framework, no CDN; data only through the API. */
"use strict";

const R = (() => {
  const KEY = "reservoir.apiKey";
  const API = "/api/v1";

  function key() { return localStorage.getItem(KEY) || ""; }
  function setKey(value) { localStorage.setItem(KEY, value); }
  function signOut() { localStorage.removeItem(KEY); toLogin(); }
  function toLogin() {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`/login?next=${next}`);
  }

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `HTTP ${status}`);
      this.status = status; this.code = err.code || "error"; this.details = err.details;
    }
  }

  function headers(extra) {
    return Object.assign({ Authorization: `Bearer ${key()}` }, extra || {});
  }

  function url(path, query) {
    const u = new URL(path.startsWith("/") && !path.startsWith(API) ? API + path : path, location.origin);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, v);
    }
    return u.pathname + u.search;
  }

  /** JSON request with the Bearer key; 401 sends the user to the login page. */
  async function api(path, { method = "GET", body, query, raw = false } = {}) {
    const init = { method, headers: headers(body !== undefined ? { "Content-Type": "application/json" } : {}) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(url(path, query), init);
    if (res.status === 401) { toLogin(); throw new ApiError(401, await res.json().catch(() => null)); }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    if (raw) return res;
    if (res.status === 204) return null;
    return res.json();
  }

  /**
   * Server-sent events over fetch (EventSource cannot send an Authorization header).
   * Calls onEvent({id, event, data}) per event; resolves when the stream ends.
   */
  async function sse(path, { method = "GET", body, lastEventId, onEvent, signal } = {}) {
    const extra = { Accept: "text/event-stream" };
    if (body !== undefined) extra["Content-Type"] = "application/json";
    if (lastEventId) extra["Last-Event-ID"] = String(lastEventId);
    const res = await fetch(url(path), {
      method, headers: headers(extra), body: body !== undefined ? JSON.stringify(body) : undefined, signal,
    });
    if (res.status === 401) { toLogin(); throw new ApiError(401, null); }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let ev = { id: null, event: "message", data: [] };
    const dispatch = () => {
      if (ev.data.length) {
        const text = ev.data.join("\n");
        let data = text;
        try { data = JSON.parse(text); } catch (_) { /* plain text data */ }
        onEvent({ id: ev.id, event: ev.event, data });
      }
      ev = { id: null, event: "message", data: [] };
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.slice(nl, nl + 2) === "\r\n" ? 2 : 1));
        if (line === "") { dispatch(); continue; }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "data") ev.data.push(val);
        else if (field === "event") ev.event = val;
        else if (field === "id") ev.id = val;
      }
    }
    dispatch();
  }

  /** Build DOM without innerHTML: text is always text. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Only http(s) links from stored data become hrefs (no javascript: urls). */
  function safeUrl(value) {
    try {
      const u = new URL(value, location.origin);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (_) { return null; }
  }

  function extLink(href, text) {
    const safe = safeUrl(href);
    return safe ? el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: text || href })
      : el("span", { text: text || href || "" });
  }

  function fmtDate(value) {
    if (!value) return "–";
    const d = new Date(value);
    return isNaN(d) ? value : d.toLocaleString();
  }

  function fmtNum(value, digits = 0) {
    if (value === null || value === undefined) return "–";
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
  }

  function badge(status) { return el("span", { class: `badge ${status}`, text: status }); }

  let toastTimer;
  function toast(message, bad = false) {
    const node = document.getElementById("toast");
    node.textContent = message; node.className = bad ? "bad" : ""; node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 5000);
  }

  function fail(err) { console.error(err); toast(err.message || String(err), true); }

  function replaceRows(tbody, rows, emptyText, columns) {
    tbody.replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: columns || 8, class: "muted", text: emptyText || "Nothing yet." }))]));
  }

  /** Prev/next buttons for a {items,total,limit,offset} page. */
  function pager(node, page, go) {
    const from = page.total ? page.offset + 1 : 0;
    const to = page.offset + page.items.length;
    node.replaceChildren(
      el("button", { type: "button", class: "secondary", disabled: page.offset === 0,
        onclick: () => go(Math.max(0, page.offset - page.limit)) }, "← Prev"),
      el("span", { class: "muted small", text: `${from}–${to} of ${page.total}` }),
      el("button", { type: "button", class: "secondary", disabled: to >= page.total,
        onclick: () => go(page.offset + page.limit) }, "Next →"));
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  /** Horizontal bar chart as inline SVG: [{label, value}]. */
  function barChart(container, data) {
    const width = 520, row = 26, left = 170, right = 40;
    const height = Math.max(1, data.length) * row + 10;
    const max = Math.max(1, ...data.map((d) => d.value));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, "data-chart": "bars" });
    data.forEach((d, i) => {
      const y = 5 + i * row;
      const w = ((width - left - right) * d.value) / max;
      chart.append(
        svg("text", { x: left - 8, y: y + 16, "text-anchor": "end" }, d.label),
        svg("rect", { class: "bar", x: left, y: y + 4, width: Math.max(w, d.value ? 2 : 0), height: row - 10, rx: 3 },
          svg("title", {}, `${d.label}: ${d.value}`)),
        svg("text", { x: left + w + 6, y: y + 16 }, String(d.value)));
    });
    container.replaceChildren(chart);
  }

  /** Scatter plot as inline SVG: [{x, y, label}] with fixed axis ranges. */
  function scatter(container, points, { xMax = 10, yMax = 100, xLabel = "complexity", yLabel = "score" } = {}) {
    const width = 520, height = 260, pad = 36;
    const sx = (x) => pad + ((width - 2 * pad) * x) / xMax;
    const sy = (y) => height - pad - ((height - 2 * pad) * y) / yMax;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, "data-chart": "scatter" },
      svg("line", { class: "axis", x1: pad, y1: height - pad, x2: width - pad, y2: height - pad }),
      svg("line", { class: "axis", x1: pad, y1: pad, x2: pad, y2: height - pad }),
      svg("text", { x: width / 2, y: height - 6, "text-anchor": "middle" }, xLabel),
      svg("text", { x: 10, y: pad - 10 }, yLabel));
    for (let t = 0; t <= xMax; t += 2) chart.append(svg("text", { x: sx(t), y: height - pad + 14, "text-anchor": "middle" }, t));
    for (let t = 0; t <= yMax; t += 25) chart.append(svg("text", { x: pad - 6, y: sy(t) + 4, "text-anchor": "end" }, t));
    for (const p of points) {
      chart.append(svg("circle", { class: "dot", cx: sx(p.x), cy: sy(p.y), r: 5 }, svg("title", {}, p.label)));
    }
    if (!points.length) chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "no scored opportunities yet"));
    container.replaceChildren(chart);
  }

  const pages = {};
  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    const logout = document.getElementById("logout");
    if (logout) logout.addEventListener("click", signOut);
    if (page !== "login" && !key()) { toLogin(); return; }
    const init = pages[page];
    if (init) Promise.resolve(init()).catch(fail);
  });

  return { key, setKey, signOut, api, sse, el, safeUrl, extLink, fmtDate, fmtNum, badge, toast, fail,
    replaceRows, pager, barChart, scatter, pages, ApiError };
})();
