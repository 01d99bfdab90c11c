/* Reservoir dashboard: one initialiser per page (body[data-page]). */
"use strict";

(() => {
  const { api, sse, el, badge, fmtDate, fmtNum, extLink, replaceRows, pager, toast, fail, pages } = R;
  const $ = (sel) => document.querySelector(sel);
  const TYPES = ["lead_generation", "client_communication", "document_automation", "scheduling", "follow_up",
    "reporting", "marketing", "workflow_optimization", "other"];
  const ENDED = ["succeeded", "failed", "cancelled"];
  const pretty = (s) => String(s || "").replaceAll("_", " ");
  const shortId = (id) => String(id).slice(0, 8);

  function runRow(run) {
    return el("tr", { dataset: { runId: run.id } },
      el("td", {}, el("a", { href: `/runs/${encodeURIComponent(run.id)}` }, el("code", { text: shortId(run.id) }))),
      el("td", {}, badge(run.status)), el("td", { text: run.trigger }),
      el("td", { text: fmtDate(run.created_at) }), el("td", { text: fmtDate(run.finished_at) }),
      el("td", { class: "num", text: `$${fmtNum(run.cost_usd, 4)}` }));
  }

  // ---------------------------------------------------------------------------------- login
  pages.login = () => {
    const form = $("#login-form");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = $("#api-key").value.trim();
      const error = $("#login-error");
      const res = await fetch("/api/v1/runs?limit=1", { headers: { Authorization: `Bearer ${value}` } });
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        error.textContent = (body && body.error && body.error.message) || `HTTP ${res.status}`;
        error.hidden = false;
        return;
      }
      R.setKey(value);
      const next = new URLSearchParams(location.search).get("next") || "/";
      location.assign(/^\/(?![\/\\])/.test(next) ? next : "/");  // same-origin paths only
    });
  };

  // ---------------------------------------------------------------------------------- overview
  pages.overview = async () => {
    const totals = await Promise.all(["/opportunities", "/documents", "/sources", "/runs"].map(
      (p) => api(p, { query: { limit: 1 } }).then((page) => page.total)));
    ["opportunities", "documents", "sources", "runs"].forEach((name, i) => {
      document.querySelector(`[data-stat="${name}"]`).textContent = fmtNum(totals[i]);
    });
    const counts = await Promise.all(TYPES.map((t) => api("/opportunities", { query: { type: t, limit: 1 } })
      .then((page) => ({ label: pretty(t), value: page.total }))));
    R.barChart($("#type-chart"), counts.sort((a, b) => b.value - a.value));
    const latest = await api("/opportunities", { query: { limit: 200 } });
    R.scatter($("#roi-chart"), latest.items.filter((o) => o.scores.total_score !== null)
      .map((o) => ({ x: o.complexity, y: o.scores.total_score, label: `${o.title} (${o.scores.total_score})` })));
    const runs = await api("/runs", { query: { limit: 5 } });
    replaceRows($("#recent-runs tbody"), runs.items.map((r) => {
      const row = runRow(r); row.lastChild.remove(); return row;
    }), "No runs yet.", 5);
  };

  // ---------------------------------------------------------------------------------- runs
  pages.runs = async () => {
    const [sources, profiles] = await Promise.all([
      api("/sources", { query: { active: true, limit: 500 } }), api("/profiles", { query: { limit: 500 } })]);
    const checks = (items, name) => items.map((item) => el("label", { class: "inline" },
      el("input", { type: "checkbox", name, value: item.name }), item.name));
    $("#run-sources").replaceChildren(...(sources.items.length ? checks(sources.items, "source")
      : [el("span", { class: "muted", text: "No active sources: add one on the Sources page." })]));
    $("#run-profiles").replaceChildren(...(profiles.items.length ? checks(profiles.items, "profile")
      : [el("span", { class: "muted", text: "No profiles." })]));
    $("#run-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const ticked = (name) => [...document.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
      const focus = $("#run-focus").value.split(",").map((s) => s.trim()).filter(Boolean);
      const body = { sources: ticked("source"), profiles: ticked("profile"), focus,
        require_approval: $("#run-approval").checked };
      for (const k of ["sources", "profiles", "focus"]) if (!body[k].length) body[k] = null;
      $("#start-run").disabled = true;
      try {
        const run = await api("/runs", { method: "POST", body });
        location.assign(`/runs/${encodeURIComponent(run.id)}`);
      } catch (err) { fail(err); $("#start-run").disabled = false; }
    });
    const load = async (offset) => {
      const page = await api("/runs", { query: { limit: 20, offset } });
      replaceRows($("#runs-table tbody"), page.items.map(runRow), "No runs yet.", 6);
      pager($("#runs-pager"), page, (o) => load(o).catch(fail));
    };
    await load(0);
  };

  // ---------------------------------------------------------------------------------- one run
  // What a listing holds beyond the per-run limit, worded as the CLI words it.
  const leftNote = (n) => (n ? `${n} more item${n === 1 ? "" : "s"}: next run` : "");

  function describe(ev) {
    const p = ev.payload || {};
    if (ev.type === "source_done") {
      const searched = p.query ? ` (search “${p.query}”)` : "";
      const left = p.left ? `; ${leftNote(p.left)}` : "";
      return `${p.name}${searched}: fetched ${p.fetched}, new ${p.new}, failed ${p.failed}${left}`;
    }
    if (ev.type === "source_failed") return `${p.name}: failed — ${p.error}`;
    if (ev.type === "step") {
      const parts = Object.entries(p.counters || {}).map(([k, v]) => `${pretty(k)} ${v}`);
      if (p.phase) parts.unshift(`phase ${p.phase}`);
      if (p.notes) parts.push(...p.notes);
      return parts.join(", ");
    }
    if (p.error) return p.error;
    return "";
  }

  pages.run = async () => {
    const runId = document.body.dataset.runId;
    let lastId = 0;
    let streaming = false;
    const events = $("#events");

    const phase = (node) => {
      const order = ["scout", "analyst", "roi", "writer"];
      const at = order.indexOf(node);
      if (at < 0) return;
      document.querySelectorAll("#phases li").forEach((li, i) => {
        li.classList.toggle("done", i < at);
        li.classList.toggle("active", i === at);
      });
    };

    const render = async () => {
      const run = await api(`/runs/${encodeURIComponent(runId)}`);
      $("#run-status").replaceWith(Object.assign(badge(run.status), { id: "run-status" }));
      const facts = [["Status", run.status], ["Trigger", run.trigger], ["Created", fmtDate(run.created_at)],
        ["Started", fmtDate(run.started_at)], ["Finished", fmtDate(run.finished_at)],
        ["Sources", (run.params.sources || []).join(", ") || "all active"],
        ["Profiles", (run.params.profiles || []).join(", ") || "all"],
        ["Tokens", `${fmtNum(run.tokens_in)} in / ${fmtNum(run.tokens_out)} out`],
        ["Cost", `$${fmtNum(run.cost_usd, 4)}`]];
      for (const [k, v] of Object.entries(run.counters || {})) {
        if (typeof v === "number") facts.push([pretty(k), fmtNum(v)]);
      }
      if (run.error) facts.push(["Error", run.error]);
      $("#run-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
      $("#decision").hidden = run.status !== "interrupted";
      $("#cancel").hidden = ENDED.includes(run.status);
      $("#run-opps").hidden = run.status !== "succeeded";
      if (run.status === "succeeded") document.querySelectorAll("#phases li").forEach((li) => li.className = "done");
      const reports = (run.counters && run.counters.reports) || [];
      // Which query (focus, profile, follow-up) found which documents.
      const searches = ((run.counters && run.counters.searches) || []).map((q) => el("li", {},
        `“${q.query}” (${q.origin}): `, ...(q.document_ids.length ? q.document_ids.flatMap((id, i) =>
          [i ? ", " : "", el("a", { href: `/documents/${id}` }, `#${id}`)]) : ["nothing new"])));
      $("#run-reports").replaceChildren(...(reports.length ? [el("p", {}, "Reports: ",
        ...reports.flatMap((id, i) => [i ? ", " : "", el("a", { href: `/reports/${id}` }, `#${id}`)]))] : []),
        ...(searches.length ? [el("p", { text: "Searches:" }), el("ul", { id: "run-searches" }, ...searches)] : []));
      if (!events.children.length) for (const ev of run.events) addEvent(ev);
      return run;
    };

    const addEvent = (ev) => {
      if (ev.seq <= lastId) return;
      lastId = ev.seq;
      phase(ev.node);
      events.append(el("li", { dataset: { seq: ev.seq, type: ev.type } },
        el("code", { text: `#${ev.seq}` }), " ", el("strong", { text: `${ev.node} ${ev.type}` }),
        " ", describe(ev)));
      events.scrollTop = events.scrollHeight;
    };

    const follow = async () => {
      if (streaming) return;
      streaming = true;
      $("#live").textContent = "● live";
      let attempts = 0;
      try {
        for (;;) {
          let ended = false;
          try {
            await sse(`/runs/${encodeURIComponent(runId)}/events`, {
              lastEventId: lastId,
              onEvent: (e) => {
                if (e.event === "end") { ended = true; return; }
                addEvent(e.data);
              },
            });
          } catch (err) {
            if (err instanceof R.ApiError) throw err;
            attempts += 1;  // network drop: reconnect from the last event seen
          }
          if (ended || attempts > 5) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        streaming = false;
        $("#live").textContent = "";
      }
      const run = await render();
      document.body.dataset.runStatus = run.status;
    };

    const decide = (verb) => async () => {
      try {
        await api(`/runs/${encodeURIComponent(runId)}/${verb}`, { method: "POST" });
        toast(`run ${verb === "cancel" ? "cancel requested" : verb + "d"}`);
        await render();
        follow().catch(fail);
      } catch (err) { fail(err); }
    };
    $("#approve").addEventListener("click", decide("approve"));
    $("#reject").addEventListener("click", decide("reject"));
    $("#cancel").addEventListener("click", decide("cancel"));

    const run = await render();
    document.body.dataset.runStatus = run.status;
    if (!ENDED.includes(run.status) && run.status !== "interrupted") await follow();
  };

  // ---------------------------------------------------------------------------------- opportunities
  pages.opportunities = async () => {
    const form = $("#opp-filters");
    const params = new URLSearchParams(location.search);
    for (const name of ["q", "type", "status", "industry", "tool"]) {
      if (params.get(name)) form.elements[name].value = params.get(name);
    }
    const load = async (offset) => {
      const f = Object.fromEntries(new FormData(form).entries());
      const query = { type: f.type, status: f.status, industry: f.industry.trim(), tool: f.tool.trim(),
        limit: 25, offset };
      let page;
      if (f.q.trim()) page = await api("/opportunities/search", { query: { ...query, q: f.q.trim() } });
      else page = await api("/opportunities", { query });
      $("#opp-count").textContent = f.q.trim() ? `${page.total} best matches for “${f.q.trim()}”`
        : `${page.total} opportunities`;
      replaceRows($("#opp-table tbody"), page.items.map((o) => el("tr", { dataset: { oppId: o.id } },
        el("td", {}, el("a", { href: `/opportunities/${o.id}`, text: o.title })),
        el("td", { text: pretty(o.automation_type) }), el("td", { text: o.tools.slice(0, 4).join(", ") }),
        el("td", { class: "num", text: o.mentions }), el("td", { class: "num", text: o.scores.total_score ?? "–" }),
        el("td", {}, badge(o.status)))), "No opportunities match.", 6);
      pager($("#opp-pager"), page, (o) => load(o).catch(fail));
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => String(v).trim()));
      history.replaceState(null, "", `?${new URLSearchParams(f)}`);
      load(0).catch(fail);
    });
    await load(0);
  };

  pages.opportunity = async () => {
    const id = document.body.dataset.oppId;
    const render = (o) => {
      document.title = `${o.title} · Reservoir`;
      $("#opp-title").textContent = o.title;
      $("#opp-type").textContent = pretty(o.automation_type);
      $("#opp-status").replaceWith(Object.assign(badge(o.status), { id: "opp-status" }));
      $("#opp-mentions").textContent = `${o.mentions} mention(s) · first seen ${fmtDate(o.first_seen)}`;
      $("#opp-summary").textContent = o.summary;
      $("#opp-steps").replaceChildren(...o.steps.map((s) => el("li", { text: s })));
      const facts = [["Tools", o.tools.join(", ") || "–"], ["Industries", o.industries.join(", ") || "–"],
        ["Prerequisites", o.prerequisites.join(", ") || "–"], ["Complexity", `${o.complexity} / 10`]];
      $("#opp-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
      $("#opp-scores tbody").replaceChildren(...Object.entries(o.scores).map(([k, v]) =>
        el("tr", {}, el("th", { text: pretty(k) }), el("td", { class: "num", text: v ?? "–" }))));
      replaceRows($("#opp-roi tbody"), o.roi.map((r) => el("tr", {},
        el("td", { text: r.profile_name }), el("td", { class: "num", text: fmtNum(r.hours_saved_week, 1) }),
        el("td", { class: "num", text: `$${fmtNum(r.monthly_net_value)}` }),
        el("td", { class: "num", text: fmtNum(r.setup_hours, 1) }),
        el("td", { class: "num", text: `$${fmtNum(r.tool_cost_month)}` }),
        el("td", { class: "num", text: r.payback_months === null ? "–" : fmtNum(r.payback_months, 1) }),
        el("td", { class: "num", text: `${Math.round(r.confidence * 100)}%` }),
        el("td", { text: r.method, title: r.assumptions }))), "No ROI estimates yet.", 8);
      $("#opp-evidence").replaceChildren(...o.evidence.map((e) => el("li", {},
        el("blockquote", { text: e.quote }),
        el("a", { href: `/documents/${e.document_id}`, text: e.title || `document ${e.document_id}` }),
        " · ", extLink(e.url, "source ↗"))));
      document.querySelectorAll("#status-buttons button").forEach((b) => { b.disabled = b.dataset.status === o.status; });
    };
    document.querySelectorAll("#status-buttons button").forEach((button) => button.addEventListener("click", async () => {
      try {
        render(await api(`/opportunities/${id}`, { method: "PATCH", body: { status: button.dataset.status } }));
        toast(`status: ${button.dataset.status}`);
      } catch (err) { fail(err); }
    }));
    render(await api(`/opportunities/${id}`));
    await trackPanel(id);
  };

  // Implementation tracking on the opportunity page: per profile, buttons and the actuals form.
  const trackPanel = async (id) => {
    const profiles = (await api("/profiles", { query: { limit: 500 } })).items;
    const select = $("#t-profile");
    select.replaceChildren(...profiles.map((p) => el("option", { value: p.id, text: p.name })));
    const show = async () => {
      if (!select.value) { $("#t-status").textContent = "no profile yet"; return; }
      const rows = (await api(`/profiles/${select.value}/implementations`)).items;
      const row = rows.find((r) => String(r.opportunity_id) === String(id));
      $("#t-status").textContent = row ? pretty(row.status) : "not tracked";
      $("#t-view").href = `/tracking?profile=${encodeURIComponent(select.value)}`;
      $("#t-dates").textContent = row ? [["bookmarked", row.bookmarked_at], ["started", row.started_at],
        ["implemented", row.implemented_at], ["abandoned", row.abandoned_at]]
        .filter(([, d]) => d).map(([k, d]) => `${k} ${fmtDate(d)}`).join(" · ") : "";
      $("#t-setup").value = row?.actual_setup_hours ?? "";
      $("#t-hours").value = row?.actual_hours_saved_week ?? "";
      $("#t-cost").value = row?.actual_tool_cost_month ?? "";
      $("#t-notes").value = row?.notes ?? "";
    };
    const send = async (body) => {
      try {
        await api(`/profiles/${select.value}/implementations/${id}`, { method: "PUT", body });
        toast(`tracked: ${pretty(body.status)}`);
        await show();
      } catch (err) { fail(err); }
    };
    select.addEventListener("change", () => show().catch(fail));
    document.querySelectorAll("#track-buttons button").forEach((b) =>
      b.addEventListener("click", () => send({ status: b.dataset.track })));
    const num = (sel) => ($(sel).value === "" ? null : Number($(sel).value));
    $("#track-form").addEventListener("submit", (e) => {
      e.preventDefault();
      send({ status: "implemented", actual_setup_hours: num("#t-setup"),
        actual_hours_saved_week: num("#t-hours"), actual_tool_cost_month: num("#t-cost"),
        notes: $("#t-notes").value.trim() || null });
    });
    await show();
  };

  // ---------------------------------------------------------------------------------- sources
  pages.sources = async () => {
    const load = async (offset) => {
      const page = await api("/sources", { query: { limit: 50, offset } });
      replaceRows($("#sources-table tbody"), page.items.map((s) => el("tr", { dataset: { source: s.name } },
        el("td", { text: s.name }), el("td", { text: s.kind }), el("td", {}, extLink(s.url)),
        el("td", { text: s.active ? "yes" : "no" }), el("td", { text: fmtDate(s.last_fetched_at) }),
        el("td", { class: "num", text: s.consecutive_failures }),
        el("td", { class: s.backlog ? "" : "muted", text: leftNote(s.backlog) || "none" }),
        el("td", { class: s.last_error ? "error" : "muted", text: s.last_error || "ok" }),
        el("td", {}, el("button", { type: "button", class: "secondary", onclick: async () => {
          if (!confirm(`Remove source ${s.name}? Its documents stay in the reservoir.`)) return;
          try { await api(`/sources/${encodeURIComponent(s.id)}`, { method: "DELETE" }); toast("source removed"); load(0); }
          catch (err) { fail(err); }
        } }, "Remove")))), "No sources yet.", 9);
      pager($("#sources-pager"), page, (o) => load(o).catch(fail));
    };
    $("#source-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      let config = {};
      const raw = $("#s-config").value.trim();
      if (raw) {
        try { config = JSON.parse(raw); } catch (_) { toast("Options must be valid JSON", true); return; }
      }
      try {
        await api("/sources", { method: "POST", body: { name: $("#s-name").value.trim(), kind: $("#s-kind").value,
          url: $("#s-url").value.trim(), config, active: $("#s-active").checked } });
        toast("source added");
        e.target.reset();
        await load(0);
      } catch (err) { fail(err); }
    });
    await load(0);
  };

  // ---------------------------------------------------------------------------------- tools
  pages.tools = async () => {
    const counts = (obj) => Object.entries(obj).slice(0, 4).map(([k, n]) => `${pretty(k)} ${n}`).join(", ");
    const load = async (offset) => {
      const page = await api("/tools", { query: { limit: 50, offset } });
      replaceRows($("#tools-table tbody"), page.items.map((t) => el("tr", { dataset: { tool: t.name } },
        el("td", {}, el("a", { href: `/opportunities?tool=${encodeURIComponent(t.name)}`, text: t.name })),
        el("td", { class: t.in_catalogue ? "" : "muted", text: pretty(t.category) }),
        el("td", { class: "num", text: t.opportunities }), el("td", { text: counts(t.industries) }),
        el("td", { text: counts(t.automation_types) }))), "No tools yet: run a discovery first.", 5);
      pager($("#tools-pager"), page, (o) => load(o).catch(fail));
    };
    await load(0);
  };

  // ---------------------------------------------------------------------------------- tracking
  /** The server renders the plot (authenticated API, escaped text); parsed as SVG, never run. */
  const svgNode = (markup) => {
    if (!markup) return el("p", { class: "muted", text: "No implementation with a projection and a measured saving yet." });
    const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
    return doc.querySelector("parsererror") ? el("p", { class: "error", text: "plot unreadable" })
      : document.importNode(doc.documentElement, true);
  };

  pages.tracking = async () => {
    const profiles = (await api("/profiles", { query: { limit: 500 } })).items;
    const select = $("#tr-profile");
    select.replaceChildren(...profiles.map((p) => el("option", { value: p.id, text: p.name })));
    const wanted = new URLSearchParams(location.search).get("profile");
    if (wanted && profiles.some((p) => String(p.id) === wanted)) select.value = wanted;
    const money = (v) => (v === null || v === undefined ? "–" : `$${fmtNum(Math.round(v))}`);
    const num = (v) => (v === null || v === undefined ? "–"
      : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 }));
    const show = async () => {
      if (!select.value) { $("#tracking-plot").replaceChildren(svgNode("")); return; }
      const view = await api(`/profiles/${select.value}/tracking`);
      $("#tr-count").textContent = `${view.rows.length} implemented with a measured saving`;
      $("#tracking-plot").replaceChildren(svgNode(view.svg));
      replaceRows($("#tracking-table tbody"), view.rows.map((r) => el("tr", { dataset: { n: r.n } },
        el("td", { class: "num", text: r.n }),
        el("td", {}, el("a", { href: `/opportunities/${r.opportunity_id}`, text: r.title || `#${r.opportunity_id}` })),
        el("td", { class: "num", text: `${num(r.projected)} → ${num(r.actual)}` }),
        el("td", { class: "num", text: `${money(r.projected_value)} → ${money(r.actual_value)}` }),
        el("td", { class: "num", text: num(r.setup) }), el("td", { class: "num", text: money(r.tools) }))),
      "Nothing implemented with a measured saving yet: record actuals on an opportunity's page.", 6);
      const notes = view.rows.filter((r) => r.value_note !== "measured").map((r) => `${r.n}: ${r.value_note}`);
      $("#tracking-notes").textContent = notes.length ? `Net value: ${notes.join("; ")}.` : "";
      $("#calibration-rule").textContent = `Measured hours pull later projections of the same automation type `
        + `(a tool in common) towards them: (${view.calibration_prior} × projected + the measured sum) / `
        + `(${view.calibration_prior} + N). Counts are over every profile.`;
      replaceRows($("#calibration-table tbody"), view.calibration.map((c) => el("tr", {},
        el("td", { text: pretty(c.automation_type) }), el("td", { class: "num", text: c.hours_actuals }),
        el("td", { class: "num", text: c.setup_actuals }), el("td", { class: "num", text: c.tool_cost_actuals }),
        el("td", { class: "num", text: `${Math.round(c.measured_weight * 100)}%` }))),
      "No measured implementation yet: projections are not calibrated.", 5);
    };
    select.addEventListener("change", () => show().catch(fail));
    await show();
  };

  // ---------------------------------------------------------------------------------- reports
  pages.reports = async () => {
    const profiles = await api("/profiles", { query: { limit: 500 } });
    const names = Object.fromEntries(profiles.items.map((p) => [p.id, p.name]));
    const load = async (offset) => {
      const page = await api("/reports", { query: { limit: 25, offset } });
      replaceRows($("#reports-table tbody"), page.items.map((r) => el("tr", {},
        el("td", {}, el("a", { href: `/reports/${r.id}`, text: `#${r.id}` })),
        el("td", { text: names[r.profile_id] || r.profile_id }), el("td", {}, badge(r.status)),
        el("td", { class: "num", text: r.opportunity_ids.length }), el("td", { text: fmtDate(r.created_at) }),
        el("td", {}, r.run_id ? el("a", { href: `/runs/${encodeURIComponent(r.run_id)}` },
          el("code", { text: shortId(r.run_id) })) : "–"))), "No reports yet.", 6);
      pager($("#reports-pager"), page, (o) => load(o).catch(fail));
    };
    await load(0);
  };

  pages.report = async () => {
    const id = document.body.dataset.reportId;
    const [report, html] = await Promise.all([api(`/reports/${id}`),
      api(`/reports/${id}.html`, { raw: true }).then((res) => res.text())]);
    $("#report-status").replaceWith(Object.assign(badge(report.status), { id: "report-status" }));
    $("#report-meta").textContent = `${report.opportunity_ids.length} opportunities · ${fmtDate(report.created_at)}`;
    $("#report-frame").srcdoc = html;  // sandboxed: no scripts, no same-origin access
    $("#download-md").addEventListener("click", async () => {
      const blob = await api(`/reports/${id}.md`, { raw: true }).then((res) => res.blob());
      const a = el("a", { href: URL.createObjectURL(blob), download: `report-${id}.md` });
      document.body.append(a); a.click(); a.remove();
    });
  };

  pages.document = async () => {
    const doc = await api(`/documents/${document.body.dataset.documentId}`);
    document.title = `${doc.title || "Document"} · Reservoir`;
    $("#doc-title").textContent = doc.title || `Document #${doc.id}`;
    const link = extLink(doc.url);
    link.id = "doc-url";
    $("#doc-url").replaceWith(link);
    const facts = [["Author", doc.author || "–"], ["Published", fmtDate(doc.published_at)],
      ["Fetched", fmtDate(doc.fetched_at)], ["Characters", fmtNum(doc.chars)]];
    $("#doc-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    $("#doc-text").textContent = doc.text;
    const quote = new URLSearchParams(location.search).get("quote");
    if (quote && doc.text.includes(quote)) {
      const at = doc.text.indexOf(quote);
      $("#doc-text").replaceChildren(doc.text.slice(0, at), el("mark", { text: quote }), doc.text.slice(at + quote.length));
      document.querySelector("#doc-text mark").scrollIntoView({ block: "center" });
    }
  };

  // ---------------------------------------------------------------------------------- chat
  pages.chat = () => {
    const THREAD = "reservoir.thread";
    const TURNS = "reservoir.turns";  // the conversation shown, so it survives a reload
    const messages = $("#messages");
    const showThread = () => {
      const t = sessionStorage.getItem(THREAD);
      $("#thread").textContent = t ? `continuing conversation ${shortId(t)}` : "";
    };
    const storedTurns = () => {
      try { return JSON.parse(sessionStorage.getItem(TURNS) || "[]"); } catch { return []; }
    };
    const storeTurn = (turn) => {
      const turns = [...storedTurns(), turn].slice(-50);
      try { sessionStorage.setItem(TURNS, JSON.stringify(turns)); } catch { /* storage full: keep going */ }
    };
    showThread();
    $("#new-thread").addEventListener("click", () => {
      sessionStorage.removeItem(THREAD); sessionStorage.removeItem(TURNS);
      messages.replaceChildren(); showThread();
    });

    // A citation's quote joins the sentences used from its document with " … "; the page
    // highlights the first one (the one the answer leads with).
    const firstQuote = (c) => (c.quote || "").split(" … ")[0];
    const citeHref = (c) => c.document_id
      ? `/documents/${c.document_id}${c.quote ? `?quote=${encodeURIComponent(firstQuote(c).slice(0, 300))}` : ""}`
      : R.safeUrl(c.url);

    /** The answer's [n] markers: a click shows that source's quote in place, highlighted. */
    const linkify = (text, byN) => text.split(/(\[\d+\])/).map((part) => {
      const m = part.match(/^\[(\d+)\]$/);
      const c = m && byN[m[1]];
      return c ? el("a", { class: "cite", href: citeHref(c) || "#", title: c.title || "", dataset: { n: m[1] } }, part)
        : part;
    });
    messages.addEventListener("click", (e) => {
      const marker = e.target.closest && e.target.closest("a.cite");
      if (!marker) return;
      const item = marker.closest(".msg").querySelector(`.citations li[data-n="${marker.dataset.n}"]`);
      if (!item) return;
      e.preventDefault();
      for (const open of marker.closest(".msg").querySelectorAll(".citations li.open")) {
        if (open !== item) open.classList.remove("open");
      }
      item.classList.toggle("open");
      item.scrollIntoView({ block: "nearest" });
    });

    const citationItem = (c) => {
      const href = citeHref(c);
      const quote = c.quote
        ? el("blockquote", {}, ...(c.quote.split(" … ").flatMap((q, i) => (i ? [" … ", el("mark", { text: q })]
          : [el("mark", { text: q })]))))
        : null;
      return el("li", { value: c.n, dataset: { n: c.n } },
        href ? el("a", { class: "citation", href, text: c.title || c.url || `source ${c.n}` })
          : el("span", { text: c.title || `source ${c.n}` }),
        c.url ? [" ", extLink(c.url, "↗")] : [], quote);
    };

    /** One question and its (finished) answer, as the live stream leaves them. */
    const renderTurn = ({ question, answer, citations }) => {
      messages.append(el("div", { class: "msg user" }, el("div", { class: "text", text: question })));
      const byN = Object.fromEntries(citations.map((c) => [String(c.n), c]));
      messages.append(el("div", { class: "msg assistant", dataset: { done: "true" } },
        el("div", { class: "text" }, ...linkify(answer, byN)),
        el("ol", { class: "citations" }, ...citations.map(citationItem))));
    };
    storedTurns().forEach(renderTurn);
    messages.scrollTop = messages.scrollHeight;

    // Enter sends, Shift+Enter adds a line (and IME composition is left alone).
    $("#question").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (!$("#ask").disabled) $("#ask-form").requestSubmit();
      }
    });

    $("#ask-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const question = $("#question").value.trim();
      if (!question) return;
      $("#question").value = "";
      $("#ask").disabled = true;
      messages.append(el("div", { class: "msg user" }, el("div", { class: "text", text: question })));
      const steps = el("div", { class: "steps", text: "thinking…" });
      const text = el("div", { class: "text" });
      const cites = el("ol", { class: "citations" });
      const bubble = el("div", { class: "msg assistant", "aria-busy": "true" }, steps, text, cites);
      messages.append(bubble);
      const citations = [];
      try {
        await sse("/ask", {
          method: "POST",
          body: { question, thread_id: sessionStorage.getItem(THREAD) || null },
          onEvent: ({ event, data }) => {
            if (event === "step") steps.textContent = data.name === "answered"
              ? `${data.hits} passages searched, ${data.citations} cited` : `${pretty(data.name)}…`;
            else if (event === "token") { text.append(data.text); messages.scrollTop = messages.scrollHeight; }
            else if (event === "citation") {
              citations.push(data);
              cites.append(citationItem(data));
            } else if (event === "done") {
              const byN = Object.fromEntries(citations.map((c) => [String(c.n), c]));
              text.replaceChildren(...linkify(data.answer, byN));
              if (data.thread_id) sessionStorage.setItem(THREAD, data.thread_id);
              storeTurn({ question, answer: data.answer, citations });
              showThread();
              bubble.dataset.done = "true";
            } else if (event === "error") {
              text.append(el("p", { class: "error", text: (data.error && data.error.message) || "error" }));
              bubble.dataset.done = "error";
            }
          },
        });
      } catch (err) { fail(err); bubble.dataset.done = "error"; }
      bubble.removeAttribute("aria-busy");
      $("#ask").disabled = false;
      messages.scrollTop = messages.scrollHeight;
    });
  };
})();
