import { html, type Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import type { RoomRole } from "./protocol.ts";
import { BOARD_HEIGHT, BOARD_WIDTH } from "./whiteboard-protocol.ts";
import { whiteboardStrings } from "./whiteboard-strings.ts";

/** Colours offered for drawing: dark enough on white for text, told apart without colour vision too (names). */
export const BOARD_COLOURS = ["#1f2937", "#1d4ed8", "#b91c1c", "#047857", "#a16207"] as const;

/**
 * The whiteboard panel as the server renders it; web/room/whiteboard.ts fills it from the room's
 * socket. The board itself is a canvas: whatever anyone wrote on it is painted, never made markup.
 */
export function whiteboardPanel(locale: Locale, role: RoomRole): Html {
  const s = whiteboardStrings(locale);
  const tool = (id: string, label: string, pressed = false) => html`<button type="button" class="toggle secondary" data-tool="${id}" aria-pressed="${String(pressed)}">${label}</button>`;
  const facilitator = role === "clinician";
  return html`<button type="button" id="btn-board" class="toggle secondary" aria-pressed="false" aria-controls="board-panel" aria-expanded="false">${s.open}</button>
<section id="board-panel" class="board-panel" aria-labelledby="board-title" hidden>
<h2 id="board-title">${s.title}</h2>
<p id="board-status" class="muted"></p>
<p id="board-notice" class="notice notice-info" role="status" hidden></p>
<div id="board-tools" class="board-tools" role="toolbar" aria-label="${s.tools}">
${tool("pen", s.pen, true)}${tool("line", s.line)}${tool("rect", s.rectangle)}${tool("ellipse", s.ellipse)}${tool("sticky", s.sticky)}${tool("text", s.text)}${tool("eraser", s.eraser)}
<label class="board-text-label" for="board-text">${s.textPrompt}</label><input id="board-text" maxlength="200" autocomplete="off" aria-describedby="board-text-hint"><span id="board-text-hint" class="visually-hidden">${s.textHint}</span>
<label for="board-colour">${s.colour}</label><select id="board-colour">${BOARD_COLOURS.map((c, i) => html`<option value="${c}"${i === 0 ? html` selected` : ""}>${s[`colour${i}` as "colour0"]}</option>`)}</select>
<button type="button" id="board-undo" class="secondary">${s.undo}</button><button type="button" id="board-redo" class="secondary">${s.redo}</button>
${facilitator ? html`<button type="button" id="board-clear" class="secondary" data-confirm="${s.clearConfirm}">${s.clear}</button><button type="button" id="board-export">${s.export}</button>` : ""}
</div>
<canvas id="board-canvas" class="board-canvas" width="${BOARD_WIDTH}" height="${BOARD_HEIGHT}" role="img" aria-label="${s.canvasLabel}" data-items="0"></canvas>
<p id="board-size" class="hint"></p>
<div class="visually-hidden"><h3 id="board-words-title">${s.boardWords}</h3><ul id="board-words" aria-labelledby="board-words-title"></ul></div>
${facilitator ? html`<fieldset id="board-drawers" class="board-drawers"><legend>${s.drawers}</legend><ul id="board-drawers-list"></ul></fieldset>` : ""}
</section>`;
}

