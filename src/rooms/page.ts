import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { sessionState } from "../clinic/sessions.ts";
import { EVERYONE, policy } from "../identity/policy.ts";
import { idleMs } from "../identity/sessions.ts";
import { HttpError } from "../ui/errors.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { sessionRecordPath } from "./attendance-routes.ts";
import { sessionPageStrings } from "./page-strings.ts";
import type { RoomRole } from "./protocol.ts";
import { RoomRefusal, type RoomService } from "./service.ts";
import { roomStrings } from "./strings.ts";
import { toolButtons, toolPanels } from "./tools-view.ts";
import { whiteboardPanel } from "./whiteboard-view.ts";
import { breakoutNotices, breakoutPanel } from "./breakouts-view.ts";
import { NO_SAFETY, safetyPageParts, type SafetyParts } from "../safety/room-page.ts";
import { groupConsentGate } from "../portal/group-consent-routes.ts";

/**
 * The session page: one page for the waiting room and the room (web/room/ switches between them
 * as the server says, so admission needs no reload). The server renders the shell and decides
 * who may open it, exactly as the room's socket will (RoomService.check); the browser does the rest.
 */

type S = ReturnType<typeof sessionPageStrings>;

function toggle(id: string, label: string, opts: { hint?: string; hidden?: boolean } = {}): Html {
  return html`<button type="button" id="${id}" class="toggle secondary" aria-pressed="false"${opts.hint ? html` aria-describedby="${id}-hint"` : ""}${opts.hidden ? html` hidden` : ""}>${label}</button>`;
}

function devices(s: S): Html {
  return html`<fieldset id="devices" class="devices"><legend>${s.devicesLegend}</legend>
<div class="field"><label for="camera-select">${s.camera}</label><select id="camera-select"></select></div>
<div class="field"><label for="mic-select">${s.microphone}</label><select id="mic-select"></select></div>
<div class="field"><label for="mic-level">${s.micLevel}</label><meter id="mic-level" min="0" max="1" low="0.15" high="0.85" optimum="0.5" value="0"></meter></div>
</fieldset>`;
}

function connectionCheck(s: S): Html {
  const row = (key: string, label: string) => html`<dt>${label}</dt><dd data-check="${key}" data-state="pending">${s.checking}</dd>`;
  return html`<section class="check" aria-labelledby="check-title"><h2 id="check-title">${s.checkTitle}</h2>
<dl class="facts check-list">${row("server", s.checkServer)}${row("delay", s.checkDelay)}${row("camera", s.checkCamera)}${row("mic", s.checkMic)}${row("browser", s.checkBrowser)}</dl></section>`;
}

function waitingView(s: S, safety: Html | ""): Html {
  return html`<section id="waiting-view" class="waiting-view" aria-labelledby="waiting-title" hidden>
<h1 id="waiting-title" tabindex="-1">${s.waitingTitle}</h1>
<p id="waiting-intro">${s.waitingIntro}</p>
<p id="waiting-sent-back" class="notice notice-info" hidden>${s.waitingSentBack}</p>
<div class="waiting-layout">
<figure class="preview"><video id="preview-video" autoplay muted playsinline aria-label="${s.previewLabel}"></video><figcaption id="preview-off" class="preview-off" hidden>${s.previewOff}</figcaption></figure>
<div class="waiting-side"><div id="devices-home">${devices(s)}</div>${connectionCheck(s)}</div>
</div>
${safety}
</section>`;
}

function clinicianPanels(s: S): Html {
  return html`<section id="waiting-panel" class="side-panel" aria-labelledby="waiting-list-title">
<h2 id="waiting-list-title">${s.waitingListTitle} <span id="knock-badge" class="badge" hidden></span></h2>
<p id="nobody-waiting" class="muted">${s.nobodyWaiting}</p>
<ul id="waiting-list" class="waiting-list"></ul>
<button type="button" id="admit-all" hidden>${s.admitAll}</button>
</section>
<section id="headroom-panel" class="side-panel" aria-labelledby="headroom-title" hidden>
<h2 id="headroom-title">${s.headroomTitle}</h2>
<meter id="headroom-meter" min="0" max="100" low="25" high="50" optimum="100" value="100" aria-labelledby="headroom-title" aria-describedby="headroom-text"></meter>
<p id="headroom-text" data-level=""></p>
</section>
<section class="side-panel" aria-labelledby="session-controls-title">
<h2 id="session-controls-title">${s.sessionControls}</h2>
<div class="stack">
<div>${toggle("lock-room", s.lockRoom, { hint: s.lockHint })}<p id="lock-room-hint" class="hint">${s.lockHint}</p></div>
<div>${toggle("allow-screens", s.allowScreens)}</div>
<div id="end-box"><button type="button" id="end-session" class="danger">${s.endSession}</button>
<div id="end-confirm" class="confirm" hidden><p id="end-confirm-text">${s.endConfirm}</p><div class="actions"><button type="button" id="end-now" class="danger" aria-describedby="end-confirm-text">${s.endNow}</button><button type="button" id="end-cancel" class="secondary">${s.cancel}</button></div></div></div>
</div>
</section>`;
}

function roomView(s: S, role: RoomRole, safety: SafetyParts, locale: Locale): Html {
  return html`<section id="room-view" class="room-view" aria-labelledby="room-title" hidden>
<div class="room-head"><h1 id="room-title" tabindex="-1">${s.title}</h1>
${role === "clinician" ? html`<a id="knock-alert" class="knock-alert" href="#waiting-panel" hidden></a>` : ""}</div>
${safety.top}
<div id="sound-blocked" class="notice notice-warning" hidden><p>${s.soundBlocked}</p><button type="button" id="enable-sound">${s.enableSound}</button></div>
<div class="room-layout">
<div id="room-main" class="room-main">
<p id="self-sharing" class="notice notice-info" hidden>${s.youAreSharing}</p>
${breakoutNotices(locale)}
${role === "member" ? html`<div id="capacity-notice" class="notice notice-info" role="note" aria-labelledby="capacity-title" hidden><p><strong id="capacity-title">${s.capacityTitle}</strong></p><p id="capacity-text"></p></div>` : ""}
<figure id="stage" class="stage" hidden><video id="stage-video" autoplay muted playsinline></video><figcaption id="stage-caption"></figcaption></figure>
<ul id="tiles" class="tiles" aria-label="${s.tilesLabel}"></ul>
<p id="more-tiles" class="muted" hidden></p>
${whiteboardPanel(locale, role)}
</div>
<div class="room-side">
${safety.side}
${toolButtons(locale)}
${toolPanels(locale, role)}
${breakoutPanel(locale, role)}
${role === "clinician" ? clinicianPanels(s) : ""}
<section class="side-panel" aria-labelledby="people-title"><h2 id="people-title">${s.peopleTitle}</h2><ul id="people-list" class="people-list"></ul></section>
<details id="room-devices" class="side-panel"><summary>${s.devicesSummary}</summary><div id="devices-room"></div></details>
</div>
</div>
<div id="room-audio" hidden></div>
</section>`;
}

function controls(s: S): Html {
  return html`<div id="controls" class="call-controls" role="group" aria-label="${s.callControls}" hidden>
${toggle("btn-mic", s.mute)}${toggle("btn-camera", s.cameraOffButton)}${toggle("btn-share", s.share, { hidden: true })}
${toggle("btn-audio-only", s.audioOnly, { hint: s.audioOnlyHint })}${toggle("btn-low", s.lowBandwidth, { hint: s.lowBandwidthHint })}
<button type="button" id="btn-leave" class="danger">${s.leave}</button>
</div>
<p id="btn-audio-only-hint" class="visually-hidden">${s.audioOnlyHint}</p>
<p id="btn-low-hint" class="visually-hidden">${s.lowBandwidthHint}</p>`;
}

function finalView(s: S): Html {
  return html`<section id="final-view" class="final-view" hidden><div class="card narrow">
<h1 id="final-title" tabindex="-1"></h1><p id="final-body"></p>
<div class="actions"><button type="button" id="join-again" hidden>${s.joinAgain}</button><a class="button secondary" href="/">${s.goHome}</a></div>
</div></section>`;
}

/** keepAliveSeconds: how often the page extends the sign-in while its person is in the session. */
export function sessionPage(locale: Locale, sessionId: number, role: RoomRole, keepAliveSeconds: number, safety: SafetyParts = NO_SAFETY): Html {
  const s = sessionPageStrings(locale);
  return html`<div id="session" class="session" data-session-id="${sessionId}" data-role="${role}" data-keep-alive="${keepAliveSeconds}">
<noscript><div class="notice notice-warning"><p>${s.noScript}</p></div></noscript>
<p id="session-connecting" class="muted">${s.connecting}</p>
${waitingView(s, safety.waiting)}
${roomView(s, role, safety, locale)}
${controls(s)}
${finalView(s)}
<p id="announcer" class="announcer" role="status" aria-live="polite" aria-atomic="true"></p>
</div>`;
}

export function roomPageRoutes(hearth: Hearth, rooms: RoomService) {
  return new Elysia({ name: "room-page" }).get(
    "/sessions/:id",
    async ({ request, params }) => {
      const ctx = pageFor(request);
      const refused = roomStrings(ctx.locale);
      const id = /^\d{1,12}$/.test(params.id) ? Number(params.id) : 0;
      if (!id) throw new HttpError(404, refused.refusedTitle, refused.noSuchSession);
      let ticket;
      try {
        // The same decision the room's socket makes: who this is, and their part in this session.
        ticket = await rooms.check(request, id, ctx.locale);
      } catch (err) {
        if (err instanceof RoomRefusal) throw new HttpError(err.status, roomStrings(err.locale).refusedTitle, err.message);
        throw err;
      }
      const s = sessionPageStrings(ctx.locale);
      if (sessionState(ticket.session) === "closed") {
        // After the session, its page for the facilitators is the record: attendance and the rest.
        if (ticket.role === "clinician") return new Response(null, { status: 303, headers: { location: sessionRecordPath(ticket.session.groupId, id) } });
        throw new HttpError(410, s.endedTitle, refused.ended);
      }
      // A live call is activity: the page keeps the sign-in alive itself (web/room/app.ts), so
      // the idle warning and its countdown (session.js) would only interrupt the session.
      // Safety (src/safety/room-page.ts): "where are you today" first if the group requires it.
      const safety = await safetyPageParts(hearth, ctx.locale, ticket);
      if (safety.gate) return safety.gate;
      // The group's required consent forms (src/portal): what to sign first, if any.
      const consentGate = groupConsentGate(hearth, ctx, ticket);
      if (consentGate) return consentGate;
      const page = { ...ctx, banner: undefined, scripts: [] };
      const keepAlive = Math.floor(idleMs(hearth, ticket.person.role) / 2000);
      return htmlResponse(layout(page, s.title, sessionPage(ctx.locale, id, ticket.role, keepAlive, safety), { scripts: ["room.js"], styles: ["room.css"] }), 200, {
        "cache-control": "no-store",
      });
    },
    {
      params: t.Object({ id: t.String({ maxLength: 40 }) }),
      // Signed-in people; whether this one may join or run this session is the room's decision above.
      detail: policy({ allow: EVERYONE }),
    },
  );
}
