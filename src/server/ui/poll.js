// Polls /stats (asking for the proxy key only when the answer says one is needed) and
// draws the page from each answer; the chart's toggles redraw from the last one.

function render(d) {
  renderHeader(d); renderCards(d); renderChart(d); renderErrors(d); renderRate(d);
  renderProviders(d); renderPools(d); renderDevelopers(d); renderRoutes(d); renderRecent(d);
}

async function poll() {
  const headers = {};
  const key = sessionStorage.getItem("ccproxy-key");
  if (key) headers["x-api-key"] = key;
  try {
    const response = await fetch("/stats", { headers, cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      $("keyform").style.display = "flex";
      $("notice").textContent = key ? "that key was not accepted" : "";
      $("live").className = "dot off"; $("updated").textContent = "needs the proxy key";
      return;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    state.data = await response.json();
    $("keyform").style.display = "none";
    render(state.data);
    $("live").className = "dot on";
    $("updated").textContent = "live · " + new Date().toLocaleTimeString([], { hour12: false });
  } catch (error) {
    $("live").className = "dot off";
    $("updated").textContent = "cannot reach the proxy (" + error.message + ")";
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

for (const id of ["groupby", "quantile"]) {
  $(id).addEventListener("click", (event) => {
    const v = event.target.dataset && event.target.dataset.v;
    if (!v) return;
    state[id] = v;
    for (const b of $(id).children) b.classList.toggle("on", b.dataset.v === v);
    if (state.data) renderChart(state.data);
  });
}
$("keybutton").addEventListener("click", () => {
  sessionStorage.setItem("ccproxy-key", $("key").value.trim());
  $("key").value = "";
});
window.addEventListener("resize", () => { if (state.data) renderChart(state.data); });
poll();
