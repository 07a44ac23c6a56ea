/** The vitals tile (src/vitals/room-tile.ts; docs/room-protocol.md, "Vitals"). Server to facilitators only. */
export type VitalsServerMessage = {
  type: "vitals";
  /** "Vitals" in the facilitator's language, to name the tile's list. */
  heading: string;
  /** The room member (a patient) the tile is for. */
  memberId: number;
  /** Their latest trustworthy reading per measure in the last 24 h, in the facilitator's words. */
  latest: { loinc: string; label: string; value: string; at: number }[];
};
