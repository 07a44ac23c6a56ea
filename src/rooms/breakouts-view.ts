import { html, type Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import { BREAKOUT_MAX_MESSAGE, BREAKOUT_MAX_MINUTES, BREAKOUT_MAX_ROOMS, BREAKOUT_MIN_ROOMS } from "./breakouts-protocol.ts";
import { breakoutStrings } from "./breakouts-strings.ts";
import type { RoomRole } from "./protocol.ts";

/**
 * Breakout rooms as the server renders them; web/room/breakouts.ts fills them from the room's
 * socket. A facilitator's message arrives later and is put in with textContent, never as markup.
 */

/** Above the tiles, for everyone: where one is, the time left, the warning, a facilitator's message. */
export function breakoutNotices(locale: Locale): Html {
  const s = breakoutStrings(locale);
  return html`<div id="breakout-bar" class="notice notice-info breakout-bar" hidden>
<p id="breakout-where" role="status"></p>
<p id="breakout-time" class="hint"></p>
</div>
<p id="breakout-warning" class="notice notice-warning" role="alert" hidden></p>
<div id="breakout-banner" class="notice notice-info breakout-banner" role="status" hidden>
<p><strong id="breakout-banner-from"></strong> <span id="breakout-banner-text"></span></p>
<button type="button" id="breakout-banner-dismiss" class="secondary">${s.dismiss}</button>
</div>`;
}

/** The facilitators' panel: split, then visit, message and bring everyone back. Members get none. */
export function breakoutPanel(locale: Locale, role: RoomRole): Html | "" {
  if (role !== "clinician") return "";
  const s = breakoutStrings(locale);
  const counts = Array.from({ length: BREAKOUT_MAX_ROOMS - BREAKOUT_MIN_ROOMS + 1 }, (_, i) => i + BREAKOUT_MIN_ROOMS);
  return html`<section id="breakouts-panel" class="side-panel" aria-labelledby="breakouts-title">
<h2 id="breakouts-title">${s.title}</h2>
<p id="breakout-error" class="field-error" role="alert" hidden></p>
<form id="breakout-form" class="stack" novalidate>
<div class="field"><label for="breakout-rooms">${s.rooms}</label><select id="breakout-rooms">${counts.map((n) => html`<option value="${n}">${n}</option>`)}</select></div>
<fieldset class="field breakout-how"><legend>${s.how}</legend>
<div class="checkbox"><input type="radio" name="breakout-how" id="breakout-random" value="random" checked><label for="breakout-random">${s.random}</label></div>
<div class="checkbox"><input type="radio" name="breakout-how" id="breakout-by-hand" value="hand"><label for="breakout-by-hand">${s.byHand}</label></div>
</fieldset>
<ul id="breakout-choices" class="breakout-choices" hidden></ul>
<div class="field"><label for="breakout-minutes">${s.minutes}</label><input id="breakout-minutes" type="number" min="1" max="${BREAKOUT_MAX_MINUTES}" step="1" inputmode="numeric" aria-describedby="breakout-minutes-hint breakout-recording-hint">
<p id="breakout-minutes-hint" class="hint">${s.minutesHint}</p></div>
<p id="breakout-recording-hint" class="hint">${s.recordingHint}</p>
<button type="submit" id="breakout-open">${s.open}</button>
</form>
<div id="breakout-live" class="stack" hidden>
<p>${s.openNow}</p>
<ul id="breakout-list" class="breakout-list"></ul>
<button type="button" id="breakout-back" class="secondary" hidden>${s.backToMain}</button>
<form id="breakout-message-form" class="stack" novalidate>
<div class="field"><label for="breakout-message">${s.message}</label><input type="text" id="breakout-message" maxlength="${BREAKOUT_MAX_MESSAGE}" autocomplete="off"></div>
<button type="submit" class="secondary">${s.send}</button>
</form>
<button type="button" id="breakout-close">${s.closeAll}</button>
</div>
</section>`;
}
