import { Elysia } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { applianceStrings } from "./strings.ts";
import type { HealthSample } from "./health.ts";

const started = Date.now();

function bytes(n: number, locale: Locale): string {
  const gb = n / 1024 ** 3;
  const fmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  return gb >= 1 ? `${fmt.format(gb)} GB` : `${fmt.format(n / 1024 ** 2)} MB`;
}

function healthFacts(sample: HealthSample, locale: Locale) {
  const s = applianceStrings(locale);
  const d = Math.floor(sample.uptimeSec / 86400);
  const h = Math.floor((sample.uptimeSec % 86400) / 3600);
  const m = Math.floor((sample.uptimeSec % 3600) / 60);
  return html`<dl class="facts">
<dt>${s.cpuLoad}</dt><dd><meter min="0" max="100" low="70" high="90" optimum="20" value="${sample.cpuLoadPct}">${sample.cpuLoadPct}%</meter> ${sample.cpuLoadPct}% · ${sample.cores} cores</dd>
<dt>${s.cpuTemp}</dt><dd>${sample.cpuTempC === null ? s.unknown : `${sample.cpuTempC} °C`}</dd>
<dt>${s.memory}</dt><dd>${fill(s.ofTotal, { used: bytes(sample.memUsedBytes, locale), total: bytes(sample.memTotalBytes, locale) })}</dd>
<dt>${s.disk}</dt><dd>${fill(s.ofTotal, { used: bytes(sample.diskFreeBytes, locale), total: bytes(sample.diskTotalBytes, locale) })}</dd>
<dt>${s.uptime}</dt><dd>${fill(s.days, { d, h, m })}</dd>
<dt>${s.process}</dt><dd>${bytes(sample.processRssBytes, locale)}</dd>
</dl>`;
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
    )
    .get("/admin/health", async ({ request }) => {
      const ctx = pageFor(request);
      const s = applianceStrings(ctx.locale);
      const sample = hearth.health.latest ?? (await hearth.health.sample());
      const main = html`<h1>${s.healthTitle}</h1><p class="muted">${s.healthIntro}</p>
<section class="card" aria-labelledby="health-now"><h2 id="health-now" class="visually-hidden">${s.healthTitle}</h2>
${sample ? healthFacts(sample, ctx.locale) : html`<p>${s.sampling}</p>`}</section>`;
      return htmlResponse(layout(ctx, s.healthTitle, main));
    });
}
