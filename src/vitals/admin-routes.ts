// The admin's side: the device registry (status, last seen, battery, firmware, refusals, readings
// kept apart), pairing codes, unpairing, and the devices line of the health page. No readings:
// admins see no clinical content.
import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor, isHtmx } from "../ui/request.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { policy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { extendNav } from "../identity/extensions.ts";
import { HttpError } from "../ui/errors.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CA_CERT_FILE, fingerprint, tlsDir } from "../appliance/tls.ts";
import { revokeDevice, startPairing } from "./pairing.ts";
import { deviceCounts, listDevices, type DeviceStatus } from "./registry.ts";
import { vitalsStrings } from "./strings.ts";

const ADMIN = { allow: ["admin"] as const };

function statusWord(locale: Locale, st: DeviceStatus): string {
  const s = vitalsStrings(locale);
  return { active: s.statusActive, silent: s.statusSilent, never: s.statusNever, revoked: s.statusRevoked }[st];
}

/** The devices line of /admin/health. */
export function devicesHealth(hearth: Hearth, locale: Locale): Html {
  const s = vitalsStrings(locale);
  const c = deviceCounts(hearth);
  return html`<section class="card" aria-labelledby="health-devices"><h2 id="health-devices">${s.healthTitle}</h2>
<p>${fill(s.healthSummary, c)}</p><p><a href="/admin/devices">${s.healthLink}</a></p></section>`;
}

export function vitalsAdminRoutes(hearth: Hearth) {
  extendNav(hearth, "vitals-admin", (locale, role) => (role === "admin" ? [{ href: "/admin/devices", label: vitalsStrings(locale).devicesNav }] : []));
  return new Elysia({ name: "vitals-admin" })
    .get("/admin/devices", ({ request }) => {
      const ctx = pageFor(request);
      const s = vitalsStrings(ctx.locale);
      const devices = listDevices(hearth);
      const words: Record<string, string> = { "bad-signature": s.refusedBadSignature, replayed: s.refusedReplayed, "seq-reused": s.refusedSeqReused, "bad-input": s.refusedBadInput };
      const refused = (r: Record<string, number>) => Object.entries(r).map(([code, n]) => `${words[code] ?? code}: ${n}`).join(", ") || s.noneRefused;
      const main = html`<h1>${s.devicesTitle}</h1><p class="muted">${s.devicesIntro}</p>
<form method="post" action="/admin/devices/pair"><button type="submit">${s.pairButton}</button></form>
<section class="card" aria-labelledby="device-list"><h2 id="device-list" class="visually-hidden">${s.devicesTitle}</h2>
${devices.length
  ? html`<table class="devices"><thead><tr><th scope="col">${s.colName}</th><th scope="col">${s.colStatus}</th><th scope="col">${s.colLastSeen}</th><th scope="col">${s.colBattery}</th><th scope="col">${s.colFirmware}</th><th scope="col">${s.colRefused}</th><th scope="col">${s.colApart}</th><th scope="col">${s.colAssigned}</th><th scope="col"><span class="visually-hidden">${s.revoke}</span></th></tr></thead>
<tbody>${devices.map((d) => html`<tr data-device="${d.id}"><th scope="row">${d.name}<br><code class="muted">${d.id}</code></th><td>${statusWord(ctx.locale, d.status)}</td>
<td>${d.lastSeen ? formatDateTime(ctx.locale, d.lastSeen) : s.never}</td><td>${d.battery !== null ? `${d.battery} %` : s.unknown}</td><td>${d.firmware ?? s.unknown}</td>
<td class="refused">${refused(d.refused)}</td><td>${d.apart}</td><td>${d.assigned ? s.yes : s.no}</td>
<td>${d.status === "revoked" ? "" : html`<form method="post" action="/admin/devices/${d.id}/revoke" hx-post="/admin/devices/${d.id}/revoke" hx-confirm="${s.revokeConfirm}"><button type="submit" class="secondary">${s.revoke}</button></form>`}</td></tr>`)}</tbody></table>`
  : html`<p>${s.none}</p>`}
</section>`;
      return htmlResponse(layout(ctx, s.devicesTitle, main));
    }, { detail: policy(ADMIN) })
    .post("/admin/devices/pair", ({ request }) => {
      const ctx = pageFor(request);
      const s = vitalsStrings(ctx.locale);
      const { code, expiresAt } = startPairing(hearth, requireViewer(request).id);
      const caFile = join(tlsDir(hearth.config.dataDir), CA_CERT_FILE);
      const ca = existsSync(caFile) ? fingerprint(readFileSync(caFile, "utf8")) : null;
      hearth.audit.append({ actor: `person:${requireViewer(request).id}`, action: "vitals.pairing_started", subject: "device:new", outcome: "ok" });
      const main = html`<h1>${s.pairTitle}</h1><section class="card narrow">
<p class="pairing-code" aria-label="${s.pairTitle}"><strong>${code.slice(0, 4)} ${code.slice(4)}</strong></p>
<p>${fill(s.pairCode, { time: formatDateTime(ctx.locale, expiresAt) })}</p>
<p>${s.pairCommand}</p><pre><code>sudo hearth-agent pair --code ${code}${ca ? ` --ca-fingerprint ${ca}` : ""}</code></pre>
${ca ? html`<p>${s.pairFingerprint}</p><p><code class="fingerprint">${ca}</code></p>` : ""}
<p><a href="/admin/devices">${s.devicesTitle}</a></p></section>`;
      // no-store: the code must not linger in a cache or the back button.
      return htmlResponse(layout(ctx, s.pairTitle, main), 200, { "cache-control": "no-store" });
    }, { detail: policy(ADMIN) })
    .post("/admin/devices/:deviceId/revoke", ({ request, params }) => {
      const ctx = pageFor(request);
      if (!revokeDevice(hearth, params.deviceId)) throw new HttpError(404, vitalsStrings(ctx.locale).devicesTitle, vitalsStrings(ctx.locale).deviceNotFound);
      hearth.audit.append({ actor: `person:${requireViewer(request).id}`, action: "vitals.device_revoked", subject: `device:${params.deviceId}`, outcome: "ok" });
      if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": "/admin/devices" } });
      return new Response(null, { status: 303, headers: { location: "/admin/devices" } });
    }, { params: t.Object({ deviceId: t.String({ maxLength: 64 }) }), detail: policy(ADMIN) });
}
