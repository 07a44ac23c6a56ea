// Run by discover.test.ts inside a network namespace of its own (unshare -rn, multicast on lo):
// the appliance's advertiser and the agent's query on the real mDNS port, in that namespace only.
// With "silent", nothing advertises and the agent's error is printed.
import { advertise } from "../../../src/vitals/advertise.ts";
import { discover } from "./discover.ts";

const silent = process.argv[2] === "silent";
const ad = silent ? null : advertise({ name: "hearth-test", port: 8443, host: "hearth-test.local", address: "127.0.0.1" });
try {
  console.log(JSON.stringify(await discover({ timeoutMs: silent ? 500 : 5000 })));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
} finally {
  ad?.stop();
}
