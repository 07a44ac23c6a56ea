import { html, type Html } from "../ui/html.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { CHAT_MAX_LENGTH } from "./chat-protocol.ts";
import { POLL_MAX_OPTION, POLL_MAX_OPTIONS, POLL_MAX_QUESTION } from "./polls-protocol.ts";
import type { RoomRole } from "./protocol.ts";
import { toolStrings } from "./tool-strings.ts";

/**
 * The room's tool panels as the server renders them (raised hands, chat, polls); web/room/
 * hands.ts, chat.ts and polls.ts fill them from the room's socket. Everything a person wrote
 * arrives later over the socket and is put in with textContent, never as markup or links.
 */

/** The buttons at the top of the room's side column. */
export function toolButtons(locale: Locale): Html {
  const s = toolStrings(locale);
  return html`<div class="room-tools" role="group" aria-label="${s.chat}, ${s.hands}">
<button type="button" id="btn-hand" class="toggle secondary" aria-pressed="false">${s.raiseHand}</button>
<button type="button" id="btn-chat" class="toggle secondary" aria-pressed="false" aria-controls="chat-panel" aria-expanded="false">${s.chat} <span id="chat-badge" class="badge" aria-hidden="true" hidden></span><span id="chat-unread" class="visually-hidden"></span></button>
</div>`;
}

function pollForm(locale: Locale): Html {
  const s = toolStrings(locale);
  return html`<details id="poll-new" class="poll-new"><summary>${s.pollNew}</summary>
<form id="poll-form" class="stack" novalidate>
<p id="poll-form-error" class="field-error" role="alert" hidden></p>
<div class="field"><label for="poll-question">${s.pollQuestion}</label><input id="poll-question" name="question" maxlength="${POLL_MAX_QUESTION}" autocomplete="off"></div>
<div class="field"><label for="poll-options">${s.pollOptions}</label><textarea id="poll-options" name="options" rows="4" aria-describedby="poll-options-hint" data-max-option="${POLL_MAX_OPTION}" data-max-options="${POLL_MAX_OPTIONS}"></textarea>
<p id="poll-options-hint" class="hint">${fill(s.pollOptionsHint, { max: POLL_MAX_OPTIONS })}</p></div>
<div class="field checkbox"><input type="checkbox" id="poll-multiple"><label for="poll-multiple">${s.pollMultiple}</label></div>
<div class="field checkbox"><input type="checkbox" id="poll-anonymous" checked><label for="poll-anonymous">${s.pollAnonymous}</label></div>
<div class="field checkbox"><input type="checkbox" id="poll-live"><label for="poll-live">${s.pollLive}</label></div>
<button type="submit">${s.pollStart}</button>
</form></details>`;
}

/** The side panels: raised hands (always shown), chat (opened with its button), polls. */
export function toolPanels(locale: Locale, role: RoomRole): Html {
  const s = toolStrings(locale);
  const clinician = role === "clinician";
  return html`<section id="hands-panel" class="side-panel" aria-labelledby="hands-title">
<h2 id="hands-title">${s.hands}</h2>
<p id="hands-none" class="muted">${s.handsNone}</p>
<ol id="hands-list" class="hands-list"></ol>
${clinician ? html`<button type="button" id="hand-call-next" hidden>${s.handCallNext}</button>` : ""}
</section>
<section id="chat-panel" class="side-panel chat-panel" aria-labelledby="chat-title" hidden>
<h2 id="chat-title">${s.chat}</h2>
<p id="chat-empty" class="muted">${s.chatNothingYet}</p>
<div id="chat-scroll" class="chat-scroll" role="log" aria-label="${s.chatLog}" tabindex="0"><ol id="chat-log" class="chat-log"></ol></div>
<p id="chat-notice" class="notice notice-warning" role="alert" hidden></p>
<form id="chat-form" class="chat-form" novalidate>
<div class="field"><label for="chat-to">${s.chatTo}</label><select id="chat-to"><option value="everyone">${s.chatToEveryone}</option><option value="facilitators">${s.chatToFacilitators}</option></select></div>
<div class="field"><label for="chat-text">${s.chatMessage}</label><textarea id="chat-text" rows="2" aria-describedby="chat-count" data-max="${CHAT_MAX_LENGTH}"></textarea>
<p id="chat-count" class="hint">${fill(s.chatLeft, { n: CHAT_MAX_LENGTH })}</p></div>
<button type="submit" id="chat-send">${s.chatSend}</button>
</form>
</section>
<section id="polls-panel" class="side-panel" aria-labelledby="polls-title"${clinician ? "" : html` hidden`}>
<h2 id="polls-title">${s.polls}</h2>
<div id="poll-list" class="poll-list"></div>
${clinician ? pollForm(locale) : ""}
</section>`;
}
