import type { FeatureMember, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import { toolStrings } from "./tool-strings.ts";

type HandsMessage = ClientMessageOf<"hand-raise" | "hand-lower" | "hand-call-next">;

/**
 * Raised hands: one queue for the room, first raised first. Every admitted member sees all of
 * it; a facilitator calls on the next person or lowers anyone's hand. Nothing is stored: a hand
 * belongs to the moment, and goes down when its member leaves the room (or is sent back).
 */
export class Hands implements RoomFeature<HandsMessage["type"]> {
  readonly types = ["hand-raise", "hand-lower", "hand-call-next"] as const;
  /** Member id to raise time; Map keeps insertion order, which is raise order. */
  readonly #queue = new Map<number, number>();

  constructor(private readonly ctx: RoomFeatureContext) {}

  receive(member: FeatureMember, msg: HandsMessage): void {
    switch (msg.type) {
      case "hand-raise":
        if (this.#queue.has(member.id)) return;
        this.#queue.set(member.id, this.ctx.now());
        return this.#tell();
      case "hand-lower": {
        const target = msg.memberId ?? member.id;
        if (target !== member.id && !this.ctx.isFacilitator(member)) {
          return this.ctx.refuse(member, "hand-not-yours", toolStrings(member.locale).handNotYours, msg.type);
        }
        if (this.#queue.delete(target)) this.#tell();
        return;
      }
      case "hand-call-next": {
        const next = this.#queue.keys().next();
        if (next.done) return;
        this.#queue.delete(next.value);
        this.ctx.broadcast({ type: "hand-called", memberId: next.value });
        return this.#tell();
      }
    }
  }

  /** Newly in, or a new page: the queue as it stands. */
  admitted(member: FeatureMember): void {
    this.ctx.sendTo(member, this.#view());
  }

  left(member: FeatureMember): void {
    if (this.#queue.delete(member.id)) this.#tell();
  }

  #view() {
    return { type: "hands" as const, queue: [...this.#queue].map(([memberId, raisedAt]) => ({ memberId, raisedAt })) };
  }

  #tell(): void {
    this.ctx.broadcast(this.#view());
  }
}
