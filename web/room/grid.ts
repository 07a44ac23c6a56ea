// The room's picture: a tile per member (up to 16 at once), the speaking member outlined, and a
// screen share large above the tiles while it lasts. Tiles are kept and updated in place, so a
// video never restarts because someone else joined.
import type { MemberView } from "../../src/rooms/protocol.ts";
import { fill, plural } from "../../src/ui/i18n.ts";
import type { sessionPageStrings } from "../../src/rooms/page-strings.ts";
import { byId, el, initials, pageLocale } from "./dom.ts";
import type { MediaLink } from "./link.ts";
import type { LocalMedia } from "./local.ts";

type S = ReturnType<typeof sessionPageStrings>;

export const MAX_TILES = 16;
/** Narrower than this, a tile is too small to see a face: fewer columns instead. */
const MIN_TILE_PX = 160;

export interface GridModel {
  selfId: number;
  members: MemberView[];
  speaking: ReadonlySet<number>;
  /** When each member last spoke (for who stays visible past 16). */
  spokeAt: ReadonlyMap<number, number>;
}

export interface TileSize {
  memberId: number;
  source: "camera" | "screen";
  width: number;
  height: number;
}

interface Tile {
  li: HTMLLIElement;
  video: HTMLVideoElement;
  avatar: HTMLDivElement;
  name: HTMLSpanElement;
  state: HTMLSpanElement;
}

export class Grid {
  readonly #tiles = new Map<number, Tile>();
  readonly #list = byId<HTMLUListElement>("tiles");
  readonly #main = byId("room-main");
  readonly #stage = byId("stage");
  readonly #stageVideo = byId<HTMLVideoElement>("stage-video");
  readonly #selfSharing = byId("self-sharing");
  readonly #stageCaption = byId("stage-caption");
  readonly #more = byId("more-tiles");
  #shown: MemberView[] = [];
  #stageMember: number | null = null;

  constructor(
    private readonly s: S,
    private readonly local: LocalMedia,
    private readonly link: MediaLink,
  ) {}

  render(m: GridModel): void {
    const self = m.members.find((x) => x.id === m.selfId);
    const others = m.members.filter((x) => x.id !== m.selfId);
    // Past 16, those who spoke last stay in view; everyone is still heard.
    const room = MAX_TILES - (self ? 1 : 0);
    const visible =
      others.length > room
        ? [...others].sort((a, b) => (m.spokeAt.get(b.id) ?? 0) - (m.spokeAt.get(a.id) ?? 0) || a.id - b.id).slice(0, room).sort((a, b) => a.id - b.id)
        : others;
    this.#shown = self ? [self, ...visible] : visible;
    const keep = new Set(this.#shown.map((x) => x.id));
    for (const [id, tile] of this.#tiles) {
      if (!keep.has(id)) {
        tile.video.srcObject = null;
        tile.li.remove();
        this.#tiles.delete(id);
      }
    }
    this.#shown.forEach((member, i) => {
      const tile = this.#tiles.get(member.id) ?? this.#newTile(member.id);
      if (this.#list.children[i] !== tile.li) this.#list.insertBefore(tile.li, this.#list.children[i] ?? null);
      this.#fillTile(tile, member, member.id === m.selfId, m.speaking.has(member.id));
    });
    const hidden = others.length - visible.length;
    this.#more.hidden = hidden <= 0;
    this.#more.textContent = hidden > 0 ? plural(pageLocale(), this.s, "moreTiles", hidden) : "";
    this.#renderStage(m, self);
    this.layout();
  }

  /** Picks the number of columns from the tile count and the width there is. */
  layout(): void {
    const n = this.#shown.length;
    const byWidth = Math.max(1, Math.floor(this.#list.clientWidth / MIN_TILE_PX));
    const cols = Math.max(1, Math.min(4, byWidth, Math.ceil(Math.sqrt(n))));
    this.#list.classList.remove("cols-1", "cols-2", "cols-3", "cols-4");
    this.#list.classList.add(`cols-${cols}`);
  }

  /** The size each remote video is shown at, in device pixels, for the server's layer choice. */
  sizes(selfId: number): TileSize[] {
    const dpr = window.devicePixelRatio || 1;
    const out: TileSize[] = [];
    for (const member of this.#shown) {
      if (member.id === selfId) continue;
      const video = this.#tiles.get(member.id)?.video;
      if (!video || video.hidden) continue;
      out.push({ memberId: member.id, source: "camera", width: Math.round(video.clientWidth * dpr), height: Math.round(video.clientHeight * dpr) });
    }
    if (this.#stageMember !== null && !this.#stageVideo.hidden) {
      out.push({
        memberId: this.#stageMember,
        source: "screen",
        width: Math.round(this.#stageVideo.clientWidth * dpr),
        height: Math.round(this.#stageVideo.clientHeight * dpr),
      });
    }
    return out.map((t) => ({ ...t, width: Math.min(8192, t.width), height: Math.min(8192, t.height) }));
  }

  clear(): void {
    for (const tile of this.#tiles.values()) {
      tile.video.srcObject = null;
      tile.li.remove();
    }
    this.#tiles.clear();
    this.#shown = [];
    this.#stageVideo.srcObject = null;
    this.#stage.hidden = true;
    this.#main.classList.remove("sharing");
  }

  #newTile(id: number): Tile {
    const li = el("li", { class: "tile", "data-member": String(id) });
    // The tile's text says who it is; the picture itself has nothing more to announce.
    const video = el("video", { "aria-hidden": "true" });
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    const avatar = el("div", { class: "tile-avatar", "aria-hidden": "true" });
    avatar.append(el("span"));
    const label = el("p", { class: "tile-label" });
    const name = el("span", { class: "tile-name" });
    const state = el("span", { class: "tile-state" });
    label.append(name, state);
    li.append(video, avatar, label);
    const tile = { li, video, avatar, name, state };
    this.#tiles.set(id, tile);
    return tile;
  }

  #fillTile(tile: Tile, member: MemberView, isSelf: boolean, speaking: boolean): void {
    const s = this.s;
    const stream = isSelf ? this.#localStream() : this.#remoteCamera(member);
    if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
    tile.video.hidden = stream === null;
    tile.avatar.hidden = stream !== null;
    tile.avatar.firstElementChild!.textContent = initials(member.name);
    // The people list names oneself in full; over one's own picture, "You" is enough.
    tile.name.textContent = isSelf ? s.you : member.name;
    const tags = [
      member.role === "clinician" ? s.clinician : "",
      member.state === "away" ? s.away : "",
      !member.mic ? s.muted : "",
      member.audioOnly ? s.audioOnlyTag : !member.camera ? s.cameraIsOff : "",
      member.sharing ? s.sharingTag : "",
      speaking ? s.speaking : "",
    ].filter(Boolean);
    tile.state.textContent = tags.length ? `· ${tags.join(", ")}` : "";
    tile.li.classList.toggle("self", isSelf);
    tile.li.classList.toggle("speaking", speaking);
    tile.li.classList.toggle("away", member.state === "away");
  }

  #selfStream: MediaStream | null = null;
  #localStream(): MediaStream | null {
    const track = this.local.track("camera");
    if (!track) return null;
    if (this.#selfStream?.getVideoTracks()[0] !== track) this.#selfStream = new MediaStream([track]);
    return this.#selfStream;
  }

  #remoteCamera(member: MemberView): MediaStream | null {
    if (this.local.audioOnly || member.audioOnly || !member.camera || member.state !== "admitted") return null;
    return this.link.remote(member.id, "camera")?.stream ?? null;
  }

  /**
   * Someone else's share shows large above the tiles. One's own share is not mirrored back
   * (a picture of the picture): a note says it is on, and the grid stays as it was.
   */
  #renderStage(m: GridModel, self: MemberView | undefined): void {
    this.#selfSharing.hidden = !(this.local.screen !== null && (self?.sharing ?? false));
    const sharer = this.local.audioOnly ? undefined : m.members.find((x) => x.id !== m.selfId && x.sharing && x.state === "admitted");
    const stream = sharer ? (this.link.remote(sharer.id, "screen")?.stream ?? null) : null;
    this.#stage.hidden = !sharer;
    this.#main.classList.toggle("sharing", !!sharer);
    this.#stageMember = sharer?.id ?? null;
    this.#stageVideo.hidden = !stream;
    if (this.#stageVideo.srcObject !== stream) this.#stageVideo.srcObject = stream;
    this.#stageCaption.textContent = sharer ? fill(this.s.screenOf, { name: sharer.name }) : "";
  }
}
