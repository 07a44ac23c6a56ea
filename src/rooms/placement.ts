import type { MediaListener, RoomMedia, RoomMediaStats } from "./media.ts";
import type { Offer } from "./peer.ts";
import type { RecordedFile } from "./recorder.ts";

/**
 * Where each member's media runs: the session's main room (place 0) or one of its breakout rooms
 * (1..MAX_BREAKOUTS), each a RoomMedia of its own (its own Router) on the same SFU worker as the
 * main room. The Room (room.ts) asks `of(memberId)` for every media call; breakouts.ts moves
 * people between places through the Room. Who is admitted, the lock and the waiting room stay
 * the Room's: a place only says which media carries someone who is already in.
 */

export const MAIN = 0;
export const MAX_BREAKOUTS = 8;

/**
 * A breakout's key on the worker: negative, so it never meets a session id (the main room's key).
 * -(id * 100 + n) keeps every session's breakouts apart.
 */
export function breakoutKey(sessionId: number, place: number): number {
  return -(sessionId * 100 + place);
}

/** What every place's media reports to the Room, with the place it came from. */
export interface PlaceListener {
  offer(memberId: number, offer: Offer): void;
  speaking(memberId: number, speaking: boolean): void;
  /** The worker carrying this place was replaced: its members have no media any more. */
  restarted(place: number): void;
  recorded(file: RecordedFile): void;
}

export type OpenMedia = (listener: MediaListener) => RoomMedia;
export type OpenBeside = (main: RoomMedia, key: number, listener: MediaListener) => RoomMedia;

export class Placement {
  readonly main: RoomMedia;
  readonly #media = new Map<number, RoomMedia>();
  /** Members outside the main room, by member id. */
  readonly #where = new Map<number, number>();

  constructor(
    private readonly sessionId: number,
    open: OpenMedia,
    private readonly beside: OpenBeside,
    private readonly listener: PlaceListener,
  ) {
    this.main = open(this.#listenerFor(MAIN));
    this.#media.set(MAIN, this.main);
  }

  placeOf(memberId: number): number {
    return this.#where.get(memberId) ?? MAIN;
  }

  /** The media carrying this member (the main room's unless they were moved). */
  of(memberId: number): RoomMedia {
    return this.#media.get(this.placeOf(memberId)) ?? this.main;
  }

  /** Puts a member in a place; the Room stops their media before and starts it after. */
  set(memberId: number, place: number): void {
    if (place === MAIN) {
      this.#where.delete(memberId);
      return;
    }
    if (!this.#media.has(place)) this.#media.set(place, this.beside(this.main, breakoutKey(this.sessionId, place), this.#listenerFor(place)));
    this.#where.set(memberId, place);
  }

  /** The member left (or was sent back): whenever they are in again, it is in the main room. */
  forget(memberId: number): void {
    this.#where.delete(memberId);
  }

  /** Breakouts' media closes; the Room has moved everyone with media back to the main room first. */
  closeBreakouts(): void {
    this.#where.clear();
    for (const [place, media] of this.#media) {
      if (place === MAIN) continue;
      media.close();
      this.#media.delete(place);
    }
  }

  /** Every place's counts together (a member has media in one place at most). */
  async stats(): Promise<RoomMediaStats> {
    const all = await Promise.all([...this.#media.values()].map((m) => m.stats()));
    return { members: all.flatMap((s) => s.members) };
  }

  close(): void {
    for (const media of this.#media.values()) media.close();
    this.#media.clear();
    this.#where.clear();
  }

  /** Reports from a place about a member who has moved on since are stale: dropped here. */
  #listenerFor(place: number): MediaListener {
    const here = (memberId: number) => this.placeOf(memberId) === place;
    return {
      offer: (memberId, offer) => here(memberId) && this.listener.offer(memberId, offer),
      speaking: (memberId, speaking) => here(memberId) && this.listener.speaking(memberId, speaking),
      restarted: () => this.listener.restarted(place),
      // Recording covers the main room only (docs/room-protocol.md, "Breakout rooms").
      recorded: place === MAIN ? (file) => this.listener.recorded(file) : undefined,
    };
  }
}
