// The dashboard's header, cards and tables, each drawn whole from one /stats answer.

/** The header: /health's own status, and why when it is not healthy. */
function renderHeader(d) {
  $("version").textContent = "v" + d.version;
  $("status").replaceChildren(pill(d.status, statusClass(d.status)));
  const why = Object.entries(d.providers)
    .filter(([, p]) => p.status === "degraded" || p.status === "unhealthy")
    .map(([name, p]) => `${name} ${p.status} (${pct(p.recent.error_rate)} errors)`);
  if (d.team.store_status === "unavailable") why.push("team store unavailable");
  $("why").textContent = why.join(" · ");
  $("uptime").textContent = "up " + duration(d.uptime_seconds);
  $("source").textContent = "config: " + d.config.source;
  document.title = `ccproxy · ${d.status}`;
}

function renderCards(d) {
  const t = d.statistics.totals, r = t.recent, p = d.performance;
  const input = t.input_tokens + t.cache_read_input_tokens;
  $("cards").replaceChildren(
    card("Requests", num(t.requests), `${num(t.successes)} ok · ${num(t.failures)} failed`),
    card("Error rate", pct(r.error_rate), `${num(r.failures)} of ${num(r.requests)} in ${d.statistics.window_seconds / 60} min`),
    card("Latency p50", ms(r.latency_ms.p50), `p95 ${ms(r.latency_ms.p95)} · p99 ${ms(r.latency_ms.p99)}`),
    card("First token p50", ms(r.ttft_ms.p50), r.ttft_ms.p50 == null ? "streamed requests only" : `p95 ${ms(r.ttft_ms.p95)} · p99 ${ms(r.ttft_ms.p99)}`),
    card("Tokens", `${tokens(t.input_tokens)} / ${tokens(t.output_tokens)}`, "input / output"),
    card("Cache reads", tokens(t.cache_read_input_tokens),
      t.cache_savings ? `saved ${roundMoney(t.cache_savings)} · ${pct(input ? t.cache_read_input_tokens / input : 0)} of input`
        : `${pct(input ? t.cache_read_input_tokens / input : 0)} of input`),
    card("Cost", roundMoney(t.cost), d.config.priced_models ? `${d.config.priced_models} priced models` : "no prices configured"),
    card("In flight", num(p.in_flight), `retries ${num(t.retries)} · fallbacks ${num(t.fallbacks)}`),
    card("Memory", bytes(p.memory.rss_bytes), `peak ${bytes(p.memory.peak_rss_bytes)} · CPU ${p.cpu_seconds == null ? "–" : p.cpu_seconds.toFixed(1) + " s"}`),
  );
}

function renderProviders(d) {
  const rows = Object.entries(d.providers).map(([name, p]) => {
    const f = d.statistics.providers[name] || {};
    return el("tr", {},
      el("td", {}, el("b", {}, name), " ", el("span", { class: "hide-narrow sub" }, p.kind)),
      el("td", {}, pill(p.status.replace("_", " "), statusClass(p.status)),
        p.circuit_breaker && p.circuit_breaker.state !== "closed"
          ? el("span", { class: "tag", style: "color:var(--bad)" }, "circuit " + p.circuit_breaker.state.replace("_", "-")) : null,
        p.keys ? el("span", { class: "tag" }, `${p.keys.filter((k) => k.state === "active").length}/${p.keys.length} keys`) : null),
      el("td", { class: "num" }, num(p.requests)),
      el("td", { class: "num hide-narrow" }, num(p.failures)),
      el("td", { class: "num" }, pct(p.recent.error_rate)),
      el("td", { class: "num" }, ms(p.recent.latency_ms.p50)),
      el("td", { class: "num hide-narrow" }, ms(p.recent.latency_ms.p95)),
      el("td", { class: "num hide-narrow" }, `${tokens(f.input_tokens)} / ${tokens(f.output_tokens)}`),
      el("td", { class: "num hide-narrow" }, cached(f.cache_read_input_tokens, f.cache_savings)),
      el("td", { class: "num hide-narrow" }, money(f.cost)));
  });
  table("providers", [["provider"], ["health"], ["requests", "num"], ["failed", "num hide-narrow"],
    ["error rate", "num"], ["p50", "num"], ["p95", "num hide-narrow"], ["tokens in / out", "num hide-narrow"],
    ["cache reads", "num hide-narrow"], ["cost", "num hide-narrow"]], rows, "no providers configured");
}

const KEY_STATES = { active: "active", cooling: "cooling", invalid: "set aside" };

/** Every key of every pool: masked, its state, its counts and its last error. */
function renderPools(d) {
  const rows = Object.entries(d.providers).filter(([, p]) => p.keys).flatMap(([name, p]) =>
    p.keys.map((k) => el("tr", {},
      el("td", {}, el("b", {}, name)),
      el("td", { class: "mono" }, k.key),
      el("td", { class: "status" }, pill(KEY_STATES[k.state] || k.state, statusClass(k.state)),
        k.state === "cooling" && k.cooling_ms != null ? el("span", { class: "code" }, `${Math.ceil(k.cooling_ms / 1000)} s left`) : null,
        k.state === "invalid" ? el("span", { class: "code" }, "until the config changes") : null),
      el("td", { class: "num" }, num(k.requests)),
      el("td", { class: "num hide-narrow" }, `${tokens(k.input_tokens)} / ${tokens(k.output_tokens)}`),
      el("td", { class: "mono wrap hide-narrow", style: "white-space:normal" }, k.last_error || "–"))));
  $("poolsection").hidden = !rows.length;
  table("pools", [["provider"], ["key"], ["state"], ["requests", "num"], ["tokens in / out", "num hide-narrow"],
    ["last error", "hide-narrow"]], rows, "");
}

/** Team mode: each developer key (its hint, never the key) and what it used. */
function renderDevelopers(d) {
  const team = d.team, keys = team.keys || [];
  $("teamsection").hidden = team.mode !== "on";
  $("teamhint").textContent = `store ${team.store || "none"} · ${team.store_status}` +
    (team.store_outages ? ` · ${team.store_outages} outages` : "");
  const limit = (n, unit) => n == null ? null : `${num(n)} ${unit}`;
  const rows = keys.map((k) => el("tr", {},
    el("td", {}, el("b", {}, k.name), k.group ? el("span", { class: "tag" }, k.group) : null,
      el("span", { class: "rid" }, k.key_hint)),
    el("td", { class: "hide-narrow sub" }, [limit(k.rpm, "rpm"), limit(k.tpm, "tpm")].filter(Boolean).join(" · ") || "no limit"),
    el("td", { class: "num" }, num(k.requests)),
    el("td", { class: "num hide-narrow" }, `${tokens(k.input_tokens)} / ${tokens(k.output_tokens)}`),
    el("td", { class: "num" }, cached(k.cache_read_input_tokens)),
    el("td", { class: "num hide-narrow" }, money(k.cost_usd)),
    el("td", { class: "num" }, `${cents(k.spend_cents.daily)} / ${cents(k.spend_cents.weekly)} / ${cents(k.spend_cents.monthly)}`)));
  table("developers", [["developer"], ["limits", "hide-narrow"], ["requests", "num"],
    ["tokens in / out", "num hide-narrow"], ["cache reads", "num"], ["cost", "num hide-narrow"],
    ["spent day / week / month", "num"]], rows, "no developer keys yet (ccproxy keys create NAME)");
}

function renderRoutes(d) {
  const s = d.statistics;
  const rows = [
    ...Object.entries(s.routes).map(([name, f]) => ["route", name, f]),
    ...Object.entries(s.models).filter(([name]) => name !== "none,none").map(([name, f]) => ["model", name, f]),
  ].map(([kind, name, f]) => el("tr", {},
    el("td", { class: "sub" }, kind),
    name === "none" ? el("td", { class: "refused" }, "refused before routing")
      : el("td", { class: "mono wrap" }, name),
    el("td", { class: "num" }, num(f.requests)),
    el("td", { class: "num" }, pct(f.recent.error_rate)),
    el("td", { class: "num" }, ms(f.recent.latency_ms.p50)),
    el("td", { class: "num hide-narrow" }, ms(f.recent.latency_ms.p95)),
    el("td", { class: "num hide-narrow" }, ms(f.recent.ttft_ms.p50)),
    el("td", { class: "num hide-narrow" }, `${tokens(f.input_tokens)} / ${tokens(f.output_tokens)}`),
    el("td", { class: "num hide-narrow" }, cached(f.cache_read_input_tokens, f.cache_savings)),
    el("td", { class: "num hide-narrow" }, money(f.cost))));
  table("routes", [["by"], ["name"], ["requests", "num"], ["error rate", "num"], ["p50", "num"],
    ["p95", "num hide-narrow"], ["TTFT p50", "num hide-narrow"], ["tokens in / out", "num hide-narrow"],
    ["cache reads", "num hide-narrow"], ["cost", "num hide-narrow"]], rows, "no requests yet");
}

function renderErrors(d) {
  const errors = Object.entries(d.statistics.totals.errors).sort((a, b) => b[1] - a[1]);
  const total = d.statistics.totals.requests || 1;
  $("errors").replaceChildren(...(errors.length
    ? errors.map(([code, n]) => el("div", { class: "row" }, el("code", {}, code),
        el("b", {}, `${num(n)} · ${pct(n / total)}`),
        el("div", { class: "bar" }, el("i", { style: `width:${Math.max(2, 100 * n / total)}%` }))))
    : [el("div", { class: "empty" }, "no errors")]));
}

/** Where a request went: `provider,model`, or that it was refused (and as what) before. */
function destination(r) {
  if (r.provider === "none") {
    return el("td", { class: "wrap" }, el("span", { class: "refused" }, "refused"), " ",
      el("span", { class: "code" }, r.error_type || r.code || ""));
  }
  return el("td", { class: "mono wrap" }, `${r.provider},${r.model}`, r.stream ? el("span", { class: "tag" }, "stream") : null);
}

function renderRecent(d) {
  const time = (ts) => new Date(ts).toLocaleTimeString([], { hour12: false });
  const rows = d.recent.map((r) => el("tr", {},
    el("td", { class: "mono" }, time(r.at_ms), el("span", { class: "rid", title: "request id" }, r.id)),
    el("td", { class: "hide-narrow" }, r.rule === "none" ? "–" : r.rule),
    destination(r),
    el("td", { class: "status" }, pill(r.status, httpClass(r.status)),
      r.code ? el("span", { class: "code" }, r.code) : null),
    el("td", { class: "num" }, ms(r.latency_ms)),
    el("td", { class: "num hide-narrow" }, ms(r.ttft_ms)),
    el("td", { class: "num hide-narrow" }, `${tokens(r.input_tokens)} / ${tokens(r.output_tokens)}`,
      r.cache_read_input_tokens ? el("span", { class: "rid" }, `+ ${cached(r.cache_read_input_tokens, r.saved)} cached`) : null),
    el("td", { class: "num hide-narrow" }, r.fallbacks ? `${r.attempts} (${r.fallbacks} fb)` : r.attempts > 1 ? r.attempts : "–"),
    el("td", { class: "num hide-narrow" }, money(r.cost))));
  $("recenthint").textContent = d.recent.length ? `last ${d.recent.length}, newest first` : "";
  table("recent", [["time · request id"], ["route", "hide-narrow"], ["provider,model"], ["status"],
    ["latency", "num"], ["TTFT", "num hide-narrow"], ["tokens in / out", "num hide-narrow"],
    ["attempts", "num hide-narrow"], ["cost", "num hide-narrow"]],
    rows, "no requests yet: send one to /v1/messages");
}
