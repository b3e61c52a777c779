"use strict";
// The dashboard's shared helpers: building elements, formatting figures, status colours.
const POLL_MS = 2000;
const PALETTE = ["#3d63dd", "#e8590c", "#2b9a66", "#c2255c", "#7048e8", "#0c8599", "#e67700", "#5c7cfa"];
const state = { groupby: "providers", quantile: "p50_ms", data: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const $ = (id) => document.getElementById(id);
const num = (n) => n == null ? "–" : Number(n).toLocaleString("en-US");
function ms(n) {
  if (n == null) return "–";
  if (n >= 10000) return (n / 1000).toFixed(1) + " s";
  if (n >= 1000) return (n / 1000).toFixed(2) + " s";
  return Math.round(n) + " ms";
}
function bytes(n) {
  if (n == null) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}
function tokens(n) {
  if (n == null) return "–";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return num(n);
}
const money = (n) => n ? "$" + (n < 0.01 ? n.toPrecision(2) : n.toFixed(2)) : "–";
const roundMoney = (n) => n && n < 0.01 ? "< $0.01" : money(n);
const cents = (n) => n == null ? "–" : "$" + (n / 100).toFixed(2);
const pct = (r) => r == null ? "–" : (r * 100).toFixed(r && r < 0.1 ? 1 : 0) + "%";
function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}
function statusClass(s) {
  if (s === "healthy" || s === "active" || s === "ok" || s === "on") return "s-ok";
  if (s === "degraded" || s === "cooling") return "s-warn";
  if (s === "unhealthy" || s === "no_key" || s === "invalid" || s === "unavailable") return "s-bad";
  return "s-idle";
}
function httpClass(code) { return code < 400 ? "s-ok" : code === 429 || code < 500 ? "s-warn" : "s-bad"; }
const pill = (text, cls) => el("span", { class: "pill " + cls }, text);

/** Cache reads, with what they saved when the model has a cached-input price. */
function cached(read, saved) {
  if (!read) return "–";
  return saved ? `${tokens(read)} · saved ${roundMoney(saved)}` : tokens(read);
}

function card(label, value, sub) {
  return el("div", { class: "card" }, el("div", { class: "label" }, label),
    el("div", { class: "value", title: String(value) }, value), el("div", { class: "sub" }, sub || "\u00a0"));
}

function table(id, head, rows, empty) {
  const thead = el("thead", {}, el("tr", {}, head.map(([h, cls]) => el("th", { class: cls || "" }, h))));
  const body = rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: head.length }, empty))];
  $(id).replaceChildren(thead, el("tbody", {}, body));
}
