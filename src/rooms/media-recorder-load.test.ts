import { expect, test } from "bun:test";

/**
 * The recorder (werift's WebM writer, age) stays out of every process until a room asks to
 * record (media.ts, loadRecorder): it is ~10 MB a worker that most sessions never use. Run in a
 * process of its own, since this test process has loaded everything other files imported.
 */
test("media code loads no recorder until a recording is asked for; readyToRecord loads it", () => {
  const script = `
    // Every load of recorder.ts, whether imported or required, passes through this plugin.
    let loads = 0;
    Bun.plugin({ setup(build) {
      build.onLoad({ filter: /rooms\\/recorder\\.ts$/ }, (args) => {
        loads++;
        return { contents: require("node:fs").readFileSync(args.path, "utf8"), loader: "ts" };
      });
    } });
    const loaded = () => loads;
    const { MediaRoom } = await import("./src/rooms/media.ts");
    await import("./src/rooms/workers/pool.ts");
    const before = loaded();
    const media = new MediaRoom({ addresses: ["127.0.0.1"], ports: [47900, 47909], stun: "", stunConfigured: false }, { offer() {}, speaking() {}, restarted() {} });
    media.readyToRecord?.();
    const after = loaded();
    media.close();
    console.log(JSON.stringify({ before, after }));
    process.exit(0);`;
  const r = Bun.spawnSync([process.execPath, "-e", script], { cwd: `${import.meta.dir}/../..`, stderr: "pipe" });
  const out = r.stdout.toString().trim().split("\n").at(-1) || r.stderr.toString();
  const { before, after } = JSON.parse(out) as { before: number; after: number };
  expect(before).toBe(0);
  expect(after).toBeGreaterThan(0);
});
