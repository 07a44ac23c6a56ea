import { displayName } from "../identity/people.ts";
import { sessionGuestOf } from "../safety/guests.ts";
import type { FeatureMember, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { GuestLabel } from "./safety-protocol.ts";

/**
 * Guests of this session in the room (src/safety/guests.ts): everyone sees who is a guest and as
 * what ("Interpreter for Ana"), on their tile and in the people list. A guest is otherwise a
 * member of the room like any other: they see and hear, and may write in the chat.
 */
export class Guests implements RoomFeature<never> {
  readonly types = [] as const;
  readonly #labels = new Map<number, GuestLabel>();

  constructor(private readonly ctx: RoomFeatureContext) {}

  receive(): void {}

  async admitted(member: FeatureMember): Promise<void> {
    const guest = this.ctx.isFacilitator(member) ? null : sessionGuestOf(this.ctx.hearth, member.personId, this.ctx.sessionId);
    if (guest) {
      const forName = guest.forPersonId === null ? null : (this.ctx.admitted().find((m) => m.personId === guest.forPersonId)?.name ?? (await displayName(this.ctx.hearth, guest.forPersonId)));
      this.#labels.set(member.id, { memberId: member.id, part: guest.part, forName });
      return this.ctx.broadcast(this.#view());
    }
    if (this.#labels.size) this.ctx.sendTo(member, this.#view());
  }

  left(member: FeatureMember): void {
    if (this.#labels.delete(member.id)) this.ctx.broadcast(this.#view());
  }

  #view() {
    return { type: "guest-labels" as const, labels: [...this.#labels.values()] };
  }
}
