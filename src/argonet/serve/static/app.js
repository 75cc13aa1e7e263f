// argonet serve: plots (Plotly, served locally), sortable run table, live curves and job logs by polling.
"use strict";
const argonet = (() => {
  const config = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]};

  function fmtTime(epoch) {
    if (!epoch) return "";
    const d = new Date(epoch * 1000);
    return d.toLocaleDateString(undefined, {month: "short", day: "numeric"}) + " " +
      d.toLocaleTimeString(undefined, {hour: "2-digit", minute: "2-digit"});
  }
  function times() {
    document.querySelectorAll(".time[data-epoch]").forEach(el => { el.textContent = fmtTime(parseFloat(el.dataset.epoch)); });
  }
  function draw(div) {
    const key = div.id.replace(/^fig-/, "");
    const source = document.getElementById("data-" + key);
    if (!source) return;
    const fig = JSON.parse(source.textContent);
    Plotly.newPlot(div, fig.data, fig.layout, config).then(() => {
      if (div.dataset.click === "cell") {
        div.on("plotly_click", ev => {
          const p = ev.points[0];
          const q = new URLSearchParams({eval: div.dataset.eval, true: p.y, pred: p.x});
          window.location.href = "/select?" + q.toString();
        });
      } else if (div.dataset.click === "roc") {
        div.on("plotly_click", ev => {
          const p = ev.points.find(q => q.customdata !== undefined);
          if (!p) return;
          const q = new URLSearchParams({eval: div.dataset.eval, roc: p.customdata, bkg_eff: p.x});
          window.location.href = "/select?" + q.toString();
        });
      }
    });
  }
  function drawAll() { document.querySelectorAll("div.plot").forEach(draw); times(); }

  function runTable() {
    times();
    const table = document.getElementById("runs");
    const rows = () => Array.from(table.tBodies[0].rows);
    const trials = name => rows().filter(r => r.dataset.parent === name);   // a sweep's trials follow its row
    const expanded = r => r.querySelector("button.expand[aria-expanded=true]") !== null;
    let words = [];
    const matches = r => { const t = r.textContent.toLowerCase(); return words.every(w => t.includes(w)); };
    function show() {
      rows().filter(r => !r.dataset.parent).forEach(r => {
        const mine = r.dataset.sweep ? trials(r.dataset.sweep) : [];
        mine.forEach(c => { c.hidden = !(matches(c) && (expanded(r) || words.length)); });
        r.hidden = !(matches(r) || (words.length && mine.some(c => !c.hidden)));
      });
    }
    document.getElementById("filter").addEventListener("input", ev => {
      words = ev.target.value.toLowerCase().split(/\s+/).filter(Boolean);
      show();
    });
    table.addEventListener("click", ev => {
      const button = ev.target.closest("button.expand");
      if (!button) return;
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "▾" : "▸";
      show();
    });
    Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
      if (th.dataset.type === "none") return;
      th.classList.add("sort");
      th.addEventListener("click", () => {
        const up = th.dataset.dir !== "up";
        table.querySelectorAll("th").forEach(h => delete h.dataset.dir);
        th.dataset.dir = up ? "up" : "down";
        const value = r => { const c = r.cells[col]; return c.dataset.value !== undefined ? c.dataset.value : c.textContent.trim(); };
        const sorted = rows().filter(r => !r.dataset.parent).sort((a, b) => {
          const x = value(a), y = value(b);
          if (th.dataset.type === "num") {
            const fx = x === "" ? -Infinity : parseFloat(x), fy = y === "" ? -Infinity : parseFloat(y);
            return up ? fx - fy : fy - fx;
          }
          return up ? x.localeCompare(y) : y.localeCompare(x);
        });
        sorted.forEach(r => [r, ...(r.dataset.sweep ? trials(r.dataset.sweep) : [])]
          .forEach(x => table.tBodies[0].appendChild(x)));
      });
    });
    const form = document.getElementById("compare-form"), button = document.getElementById("compare-button");
    table.addEventListener("change", () => {
      const picked = Array.from(table.querySelectorAll("input.pick:checked")).map(c => c.value);
      form.querySelectorAll("input[name=run]").forEach(i => i.remove());
      picked.forEach(v => { const i = document.createElement("input"); i.type = "hidden"; i.name = "run"; i.value = v; form.appendChild(i); });
      button.disabled = picked.length < 2 || picked.length > 5;
      button.textContent = picked.length ? `compare ${picked.length} runs` : "compare selected";
    });
    if (table.querySelector("tr.status-running")) {
      setInterval(async () => {
        const runs = await (await fetch("/api/runs")).json();
        const changed = runs.some(r => { const row = table.querySelector(`tr[data-name="${CSS.escape(r.name)}"]`);
                                         return !row || !row.classList.contains("status-" + r.status); });
        if (changed) window.location.reload();
      }, 5000);
    }
  }

  function runPage(name, live, pollMs) {
    drawAll();
    if (!live) return;
    const timer = setInterval(async () => {
      const response = await fetch("/api/live/" + name.split("/").map(encodeURIComponent).join("/"));
      if (!response.ok) return;
      const live = await response.json();
      for (const [key, fig] of Object.entries(live.figures)) {
        const div = document.getElementById("fig-" + key);
        if (div) Plotly.react(div, fig.data, fig.layout, config);
      }
      document.getElementById("log").textContent = live.log;
      if (live.status !== "running") { clearInterval(timer); window.location.reload(); }
    }, pollMs);
  }

  function jobPage(id, pollMs) {
    let offset = 0;
    const log = document.getElementById("log"), status = document.getElementById("job-status");
    async function poll() {
      const response = await fetch(`/api/jobs/${id}?offset=${offset}`);
      if (!response.ok) return true;
      const job = await response.json();
      if (job.log_text) {
        const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.textContent += job.log_text;
        if (atEnd) log.scrollTop = log.scrollHeight;
      }
      offset = job.log_offset;
      status.textContent = job.status;
      status.className = "badge " + job.status;
      const err = document.getElementById("job-error");
      if (job.error) { err.textContent = job.error; err.hidden = false; }
      document.getElementById("stop").disabled = !["queued", "running"].includes(job.status);
      document.getElementById("resume").disabled = !["stopped", "failed"].includes(job.status);
      return !["queued", "running"].includes(job.status);
    }
    (async function loop() {
      const done = await poll();
      if (done) { await poll(); return; }
      setTimeout(loop, pollMs);
    })();
  }
  return {drawAll, runTable, runPage, jobPage, times};
})();
