import { expect, test } from "bun:test";

// Each run gets a network namespace of its own (unshare -rn) with multicast on its loopback, so the
// mDNS traffic never leaves it.
function inNetns(...args: string[]): unknown {
  const setup = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo";
  const run = Bun.spawnSync(["unshare", "-rn", "sh", "-c", `${setup} && exec "${process.execPath}" "${import.meta.dir}/discover.fixture.ts" ${args.join(" ")}`], { stderr: "pipe" });
  expect(run.stderr.toString()).toBe("");
  return JSON.parse(run.stdout.toString());
}

test("the agent finds the appliance's _hearth._tcp advertisement by mDNS", () => {
  expect(inNetns()).toEqual({ url: "https://127.0.0.1:8443", host: "hearth-test.local", port: 8443, address: "127.0.0.1" });
});

test("no answer: a clear message naming --url", () => {
  expect(inNetns("silent")).toEqual({ error: "No Hearth appliance answered on the LAN (mDNS _hearth._tcp). Give its address with --url." });
});
