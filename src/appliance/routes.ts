import { Elysia } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { fill, INTL_TAGS, plural, type Locale } from "../ui/i18n.ts";
import { applianceStrings } from "./strings.ts";
import { policy } from "../identity/policy.ts";
import type { HealthSample } from "./health.ts";
import { devicesHealth } from "../vitals/admin-routes.ts";
import { outboxHealth } from "../notify/health-view.ts";

const started = Date.now();

function bytes(n: number, locale: Locale): string {
  const s = applianceStrings(locale);
  const gb = n / 1024 ** 3;
  const fmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  return gb >= 1 ? fill(s.gigabytes, { n: fmt.format(gb) }) : fill(s.megabytes, { n: fmt.format(n / 1024 ** 2) });
}

function healthFacts(sample: HealthSample | null, locale: Locale) {
  const s = applianceStrings(locale);
  if (!sample) return html`<p>${s.sampling}</p>`;
  const d = Math.floor(sample.uptimeSec / 86400);
  const h = Math.floor((sample.uptimeSec % 86400) / 3600);
  const m = Math.floor((sample.uptimeSec % 3600) / 60);
  const pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(sample.cpuLoadPct / 100);
  const time = new Intl.DateTimeFormat(INTL_TAGS[locale], { timeStyle: "medium" }).format(sample.at);
  return html`<dl class="facts">
<dt id="fact-cpu">${s.cpuLoad}</dt><dd><meter aria-labelledby="fact-cpu" min="0" max="100" low="70" high="90" optimum="20" value="${sample.cpuLoadPct}">${pct}</meter> ${pct} · ${plural(locale, s, "cores", sample.cores)}</dd>
<dt>${s.cpuTemp}</dt><dd>${sample.cpuTempC === null ? s.unknown : `${new Intl.NumberFormat(locale).format(sample.cpuTempC)} °C`}</dd>
<dt>${s.memory}</dt><dd>${fill(s.ofTotal, { used: bytes(sample.memUsedBytes, locale), total: bytes(sample.memTotalBytes, locale) })}</dd>
<dt>${s.disk}</dt><dd>${fill(s.ofTotal, { used: bytes(sample.diskFreeBytes, locale), total: bytes(sample.diskTotalBytes, locale) })}</dd>
<dt>${s.uptime}</dt><dd>${fill(s.days, { d, h, m })}</dd>
<dt>${s.process}</dt><dd>${bytes(sample.processRssBytes, locale)}</dd>
</dl>
<p class="muted">${fill(s.sampledAt, { time })}</p>`;
}

/** Liveness for load balancers and systemd, and the admin's view of the box. */
export function applianceRoutes(hearth: Hearth) {
  return new Elysia({ name: "appliance" })
    .get("/healthz", () =>
      // No auth and no patient data: only whether the appliance can serve.
      Response.json(
        { status: "ok", locked: !hearth.vault.unlocked, uptimeSec: Math.round((Date.now() - started) / 1000) },
        { headers: { "cache-control": "no-store" } },
      ),
      { detail: policy({ allow: "public" }) },
    )
    .get("/admin/health", async ({ request }) => {
      const ctx = pageFor(request);
      const s = applianceStrings(ctx.locale);
      const sample = hearth.health.latest ?? (await hearth.health.sample());
      // The page re-reads only the facts, as often as the sampler takes a new sample.
      const every = Math.round(hearth.config.healthIntervalMs / 1000);
      const main = html`<h1>${s.healthTitle}</h1><p class="muted">${fill(s.healthIntro, { s: every })}</p>
<section class="card" aria-labelledby="health-now"><h2 id="health-now" class="visually-hidden">${s.healthTitle}</h2>
<div id="health-facts" hx-get="/admin/health/facts" hx-trigger="every ${every}s" hx-swap="innerHTML" hx-headers='{"X-Hearth-Background": "1"}'>${healthFacts(sample, ctx.locale)}</div></section>
${devicesHealth(hearth, ctx.locale)}
${outboxHealth(hearth, ctx.locale)}`;
      return htmlResponse(layout(ctx, s.healthTitle, main));
    }, { detail: policy({ allow: ["admin"] }) })
    .get("/admin/health/facts", ({ request }) =>
      // Reads the sample already in memory: a refresh every few seconds costs no measuring.
      htmlResponse(healthFacts(hearth.health.latest, pageFor(request).locale), 200, { "cache-control": "no-store" }),
      { detail: policy({ allow: ["admin"] }) },
    );
}
