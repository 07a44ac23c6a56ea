// Pairing end to end: mDNS discovery, the typed code, the pinned local CA, readings flowing, and a
// revoked device told so, all inside a network namespace this test makes (see pairing.fixture.ts).
import { expect, test } from "bun:test";

test("the agent finds the appliance by mDNS, pins its CA, pairs with the code and uploads; revoked, it is told", async () => {
  const setup = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo";
  const p = Bun.spawn(["unshare", "-rn", "sh", "-c", `${setup} && exec "${process.execPath}" "${import.meta.dir}/pairing.fixture.ts"`], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const out = JSON.parse(stdout.trim().split("\n").at(-1)!);
  expect(out.error ?? "").toBe("");
  expect(out.wrongCode).toEqual({ code: 1, stderr: "Pairing refused: This pairing code is not valid." });
  // A CA that is not the one the pairing page shows: refused before the code is sent (the code still works after).
  expect(out.wrongCa).toEqual({ code: 1, stderr: "The certificate authority at https://127.0.0.1:8443 is not the one the appliance's pairing page shows. Nothing was sent; check the address." });
  expect(out.paired).toEqual({ code: 0, stderr: "", said: true });
  expect(out.pinnedCa).toBe(true);
  expect(out.stored).toBe(12);
  expect(out.device).toEqual({ name: "ward-pi", battery: 96, firmware: expect.any(String), seen: 1 });
  expect(out.afterRevoke.code).toBe(3);
  expect(out.afterRevoke.said).toContain("This device was unpaired on the appliance");
  expect(stderr).not.toContain("error");
}, 60_000);
