import { Elysia } from "elysia";
import type { Hearth } from "../context.ts";
import { HttpError } from "../ui/errors.ts";
import { attachPageContext, pageFor } from "../ui/request.ts";
import { html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import { log } from "../log.ts";
import {
  FRESH_MS,
  allows,
  groupRoleOf,
  groupOfItem,
  itemAccessOf,
  policyFromDetail,
  relationTo,
  type Role,
  type RoutePolicy,
} from "./policy.ts";
import { clearSessionCookie, sessionFromRequest, type Session } from "./sessions.ts";
import { displayName } from "./people.ts";
import { passkeyById, relyingParty } from "./passkeys.ts";
import { invitationById } from "./invitations.ts";
import { sameToken } from "./tokens.ts";
import { identityStrings } from "./strings.ts";
import { extraNav } from "./extensions.ts";

/**
 * The one gate every request passes, before its body is validated or its handler runs:
 * who is asking (session cookie), whether a state-changing request carries the session's CSRF
 * token and comes from this origin, and whether the route's declared policy lets them in.
 */
export interface Viewer {
  id: number;
  role: Role;
  csrfToken: string;
  sessionIdHash: string;
  verifiedAt: number;
  createdAt: number;
  idleEndsAt: number;
}

interface RequestState {
  viewer: Viewer | null;
  address: string;
}

const states = new WeakMap<Request, RequestState>();

/** Who sent this request, or null when nobody is signed in. */
export function viewerOf(request: Request): Viewer | null {
  return states.get(request)?.viewer ?? null;
}

/** The signed-in viewer of a route whose policy requires one (the guard already refused anyone else). */
export function requireViewer(request: Request): Viewer {
  const v = viewerOf(request);
  if (!v) throw new Error("requireViewer on a route that lets anonymous visitors in");
  return v;
}

/** The client's address: the socket's peer, or a trusted proxy's X-Forwarded-For. */
export function clientAddress(request: Request): string {
  return states.get(request)?.address ?? "unknown";
}

function addressOf(hearth: Hearth, request: Request, server: { requestIP(r: Request): { address: string } | null } | null): string {
  const peer = server?.requestIP(request)?.address ?? "unknown";
  const proxies = hearth.config.trustedProxies;
  if (!proxies.includes(peer)) return peer;
  // Walk X-Forwarded-For from the right, past our own proxies: the first other hop is the client.
  const hops = (request.headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!proxies.includes(hops[i]!)) return hops[i]!;
  return peer;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Sent by requests a page makes on its own (hx-headers on a polling element): not activity. */
export const BACKGROUND_HEADER = "x-hearth-background";

export function roleLabel(locale: Locale, role: Role): string {
  const s = identityStrings(locale);
  return { admin: s.roleAdmin, clinician: s.roleClinician, patient: s.rolePatient, guest: s.roleGuest }[role];
}

function navFor(hearth: Hearth, locale: Locale, role: Role, path: string) {
  const s = identityStrings(locale);
  // Other capabilities' items (the clinic's Groups) come right after Home.
  const items: { href: string; label: string }[] = [{ href: "/", label: s.navHome }, ...extraNav(hearth, locale, role)];
  if (role === "admin") items.push({ href: "/people", label: s.navPeople }, { href: "/invitations", label: s.navInvitations }, { href: "/admin/health", label: s.navHealth });
  if (role === "clinician") items.push({ href: "/people", label: s.navPeople }, { href: "/invitations", label: s.navInvitations });
  items.push({ href: "/account", label: s.navAccount });
  if (role === "patient" || role === "guest") items.push({ href: "/account/seen", label: s.navSeen });
  items.push({ href: "/signout", label: s.navSignOut });
  return items.map((i) => ({ ...i, current: i.href === path }));
}

function idleBanner(locale: Locale, session: Session, now: number) {
  const s = identityStrings(locale);
  const seconds = Math.max(0, Math.round((session.idleEndsAt - now) / 1000));
  // Hidden until web/entries/session.ts counts down to the warning; it needs no inline script.
  return html`<div id="idle-warning" class="notice notice-warning idle-warning" role="alertdialog" aria-labelledby="idle-warning-title" aria-describedby="idle-warning-text" data-ends-in="${seconds}" data-warn-before="120" hidden>
<h2 id="idle-warning-title">${s.idleTitle}</h2>
<p id="idle-warning-text">${s.idleBody}</p>
<div class="actions"><button type="button" data-stay-signed-in>${s.idleStay}</button><a class="button secondary" href="/signout">${s.navSignOut}</a></div>
</div>`;
}

export interface Access {
  plugin: Elysia<any, any, any, any, any, any, any>;
  /** Reads route policies from the composed app's route table (call once, after composing). */
  bind(app: { routes: { method: string; path: string; hooks?: { detail?: unknown } }[] }): void;
  /** The policy declared for a route, as the guard enforces it (undefined: none, so refused). */
  policyFor(method: string, path: string): RoutePolicy | undefined;
}

export function createAccess(hearth: Hearth): Access {
  let routes: (() => { method: string; path: string; hooks?: { detail?: unknown } }[]) | null = null;
  let table: Map<string, RoutePolicy> | null = null;

  function policyFor(method: string, path: string): RoutePolicy | undefined {
    if (!table) {
      table = new Map();
      for (const r of routes?.() ?? []) {
        const p = policyFromDetail(r.hooks?.detail);
        if (p) table.set(`${r.method} ${r.path}`, p);
      }
    }
    const m = method === "HEAD" ? "GET" : method;
    // A WebSocket route is reached by a GET upgrade request.
    return table.get(`${m} ${path}`) ?? (m === "GET" ? table.get(`WS ${path}`) : undefined);
  }

  async function check(request: Request, route: string, body: unknown, params: Record<string, string | undefined>, server: unknown, set: { headers: Record<string, string | number> }) {
    const address = addressOf(hearth, request, server as Parameters<typeof addressOf>[2]);
    const method = request.method;
    const safe = SAFE_METHODS.has(method);
    // Static files and liveness need nobody's session; background refreshes (polling) do not
    // count as activity, so a page left open still reaches its idle timeout.
    const light = route === "/static/:name" || route === "/healthz";
    const background = request.headers.get(BACKGROUND_HEADER) === "1";
    const found = light ? null : sessionFromRequest(hearth, request, { touch: !background });
    const session = found && "session" in found ? found.session : null;
    const viewer: Viewer | null = session
      ? { id: session.personId, role: session.role, csrfToken: session.csrfToken, sessionIdHash: session.idHash, verifiedAt: session.verifiedAt, createdAt: session.createdAt, idleEndsAt: session.idleEndsAt }
      : null;
    states.set(request, { viewer, address });
    if (found && "ended" in found) set.headers["set-cookie"] = clearSessionCookie(hearth, request);
    const locale = pageFor(request).locale;
    const s = identityStrings(locale);
    if (viewer && session) {
      const path = new URL(request.url).pathname;
      attachPageContext(request, {
        viewer: { id: viewer.id, role: viewer.role, displayName: (await displayName(hearth, viewer.id)) || roleLabel(locale, viewer.role) },
        csrfToken: viewer.csrfToken,
        nav: navFor(hearth, locale, viewer.role, path),
        banner: idleBanner(locale, session, hearth.now()),
        scripts: ["session.js"],
      });
    }

    const p = policyFor(method, route);
    if (!p) {
      log.error("route has no access policy; refused", { method, route });
      throw new HttpError(403, s.refusedTitle, s.refusedBody);
    }
    if (!safe) checkOrigin(request, s);
    if (!safe && viewer) {
      const sent = request.headers.get("x-csrf-token") ?? (body && typeof body === "object" ? (body as Record<string, unknown>)._csrf : undefined);
      if (typeof sent !== "string" || !sameToken(sent, viewer.csrfToken)) {
        log.info("csrf token missing or wrong", { method, route });
        throw new HttpError(403, s.csrfTitle, s.csrfBody);
      }
    }
    if (p.allow === "public") return;
    if (!viewer) {
      const why = found && "ended" in found && found.ended === "idle" ? s.signedOutIdle : s.signInRequired;
      throw new HttpError(401, s.signInTitle, why);
    }
    if (!allows(p, viewer.role)) throw new HttpError(403, s.refusedTitle, s.refusedBody);
    if (p.item) checkItem(p, viewer, body, params, s);
    if (p.fresh && hearth.now() - viewer.verifiedAt > FRESH_MS) {
      set.headers["x-hearth-reverify"] = "1";
      throw new HttpError(403, s.freshTitle, s.freshBody);
    }
  }

  function checkOrigin(request: Request, s: ReturnType<typeof identityStrings>): void {
    // With Referrer-Policy: no-referrer, Chromium sends "Origin: null" on form posts; Fetch
    // Metadata (Sec-Fetch-Site) still says where the request came from.
    const origin = request.headers.get("origin");
    const site = request.headers.get("sec-fetch-site");
    const originOk = !origin || origin === "null" || origin === relyingParty(hearth).origin || origin === new URL(request.url).origin;
    const ok = originOk && (!site || site === "same-origin" || site === "none");
    if (!ok) {
      log.info("cross-site request refused", { method: request.method });
      throw new HttpError(403, s.csrfTitle, s.csrfBody);
    }
  }

  function checkItem(p: RoutePolicy, viewer: Viewer, body: unknown, params: Record<string, string | undefined>, s: ReturnType<typeof identityStrings>): void {
    const rule = p.item!;
    const refuse = () => new HttpError(403, s.refusedTitle, s.refusedBody);
    const missing = () => new HttpError(404, s.notFoundTitle, s.notFoundBody);
    if (rule.kind === "group") {
      const raw = "param" in rule ? params[rule.param] : body && typeof body === "object" ? (body as Record<string, unknown>)[rule.field] : undefined;
      if ("param" in rule && !/^\d{1,12}$/.test(String(raw ?? ""))) throw missing();
      if (raw === undefined || raw === "") return;
      const groupId = Number(raw);
      if (!Number.isInteger(groupId)) throw new HttpError(400, s.refusedTitle, s.badGroup);
      if (viewer.role !== "admin" && groupRoleOf(hearth, viewer.id, groupId) !== "clinician") throw refuse();
      return;
    }
    const id = Number(params[rule.param]);
    if (!Number.isSafeInteger(id) || id <= 0) throw missing();
    if (rule.kind === "person") {
      const rel = relationTo(hearth, viewer, id);
      if (!hearth.db.query("SELECT 1 FROM people WHERE id = ?").get(id)) throw missing();
      if (!rel.some((r) => rule.relations.includes(r))) throw refuse();
    } else if (rule.kind === "passkey") {
      const key = passkeyById(hearth, id);
      if (!key) throw missing();
      if (key.personId !== viewer.id) throw refuse();
    } else if (rule.kind === "groupItem") {
      const groupId = groupOfItem(hearth, rule.of, id);
      if (groupId === null) throw missing();
      const part = groupRoleOf(hearth, viewer.id, groupId);
      if (!part || (rule.parts && !rule.parts.includes(part))) throw refuse();
    } else if (rule.kind === "item") {
      const access = itemAccessOf(hearth, rule.of, viewer, id);
      if (access === "missing") throw missing();
      if (access === "refused") throw refuse();
    } else if (rule.kind === "invitation") {
      const inv = invitationById(hearth, id);
      if (!inv) throw missing();
      if (inv.createdBy !== viewer.id && viewer.role !== "admin") throw refuse();
    }
  }

  const plugin = new Elysia({ name: "identity-guard" }).onTransform({ as: "global" }, async (ctx) => {
    const c = ctx as unknown as {
      request: Request;
      route: string;
      body: unknown;
      params: Record<string, string | undefined>;
      server: unknown;
      set: { headers: Record<string, string | number> };
    };
    try {
      await check(c.request, c.route, c.body, c.params ?? {}, c.server, c.set);
    } catch (err) {
      // Marks refusals that come from the declared policy (tests tell them from a handler's own).
      if (err instanceof HttpError) c.set.headers["x-hearth-refused-by"] = "policy";
      throw err;
    }
  });

  return {
    plugin,
    bind(app) {
      routes = () => app.routes;
      table = null;
    },
    policyFor,
  };
}
