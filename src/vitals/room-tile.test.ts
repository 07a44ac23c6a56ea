// The vitals tile through the real room socket: a facilitator gets a consenting patient's latest
// readings when they come in and whenever a new one is stored; members (the patient included)
// never receive a tile; flagged readings are not shown.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startRoomServer, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { tempDir } from "../../tests/harness.ts";
import { Outbox } from "../../device/src/agent/outbox.ts";
import { uploadOnce } from "../../device/src/agent/uploader.ts";
import { generateDeviceKey } from "../../device/src/reading.ts";
import { completePairing, startPairing } from "./pairing.ts";
import { answerAssignment, assignDevice } from "./assignments.ts";
import { assignMeasure, submitResponse } from "../clinic/record/measures.ts";

let world: RoomWorld;
const sockets: RoomSocket[] = [];
const dir = tempDir("hearth-vitals-room-");
beforeAll(async () => {
  world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43300-43399" });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await world.close();
  dir.remove();
});

async function open(sessionId: number, cookie: string): Promise<RoomSocket> {
  const s = await RoomSocket.open(world.wsUrl(sessionId), cookie);
  sockets.push(s);
  return s;
}

test("only the facilitator sees a consenting patient's latest readings, live; flagged values are not shown", async () => {
  const hearth = world.hearth;
  const g = await world.group(2);
  const [patientId, otherId] = g.memberIds as [number, number];
  const key = generateDeviceKey();
  const paired = completePairing(hearth, startPairing(hearth, 1).code, Buffer.from(key.publicKey).toString("base64"), "room-kit");
  if (!paired.ok) throw new Error(paired.code);
  const lent = assignDevice(hearth, g.clinicianIds[0]!, { deviceId: paired.deviceId, patientId, startsAt: hearth.now() - 60_000, endsAt: null });
  if (!lent.ok) throw new Error(lent.error);
  answerAssignment(hearth, patientId, lent.id, true);
  const outbox = new Outbox(join(dir.path, "o.db"), paired.deviceId, key.secretKey);
  const send = async (value: number, loinc = "8867-4", unit = "/min") => {
    outbox.add({ sensor: "heart-rate", observations: [{ loinc, unit, value }] }, new Date(hearth.now()));
    while (outbox.count()) await uploadOnce(outbox, { url: world.url, deviceId: paired.deviceId });
  };
  await send(72);
  // A PHQ-9 answered today in this group (total 7: mild).
  const phq9 = assignMeasure(hearth, { instrument: "phq9", groupId: g.groupId, personId: patientId, by: g.clinicianIds[0]! });
  await submitResponse(hearth, { personId: patientId, assignmentId: phq9, answers: [1, 1, 1, 1, 1, 1, 1, 0, 0], difficulty: null, language: "en" });

  const clinician = await open(g.sessionId, g.clinician);
  const members: RoomSocket[] = [];
  for (const cookie of g.members) {
    const m = await open(g.sessionId, cookie);
    clinician.send({ type: "admit", memberId: m.memberId });
    await m.next("admitted");
    members.push(m);
  }
  const [patient, other] = members as [RoomSocket, RoomSocket];
  const first = await clinician.next("vitals", (v) => v.memberId === patient.memberId);
  expect(first.latest.map((l) => [l.label, l.value])).toEqual([["Heart rate", "72 /min"], ["PHQ-9", "mild"]]);

  const mark = clinician.mark;
  await send(400); // implausible: stored flagged, not a new tile value
  await send(97, "59408-5", "%");
  const live = await clinician.next("vitals", (v) => v.memberId === patient.memberId && v.latest.length === 3, mark);
  expect(live.latest.map((l) => [l.label, l.value])).toEqual([["Heart rate", "72 /min"], ["Oxygen saturation", "97 %"], ["PHQ-9", "mild"]]);
  await Bun.sleep(300);
  expect(patient.all("vitals")).toEqual([]);
  expect(other.all("vitals")).toEqual([]);
  expect(clinician.all("vitals").some((v) => v.memberId === other.memberId)).toBe(false);
  void otherId;
  outbox.close();
  // The clinician's vitals page for the patient shows the PHQ-9 chart of this group beside the vitals.
  const page = await (await fetch(`${world.url}/vitals/patients/${patientId}`, { headers: { cookie: g.clinician } })).text();
  expect(page).toMatch(/<h2 id="phq9-h">PHQ-9<\/h2>/);
  expect(page).toContain(`href="/groups/${g.groupId}/record/members/${patientId}"`);
  expect(page).toMatch(/Heart rate over the last 7 days: 1 readings from 72 to 72/);
});
