// Preloaded only by tests (NODE_OPTIONS="--import <this file>"): arms the failpoint named in PAVED_FAILPOINT
// (see src/fs/failpoint.ts). paved itself never reads PAVED_FAILPOINT.
const wanted = process.env.PAVED_FAILPOINT;
globalThis[Symbol.for("paved.test.failpoint")] = (name, detail) => {
  // Die as from SIGKILL halfway through the renames of an upgrade.
  if (wanted === "upgrade-apply-sigkill" && name === "upgrade-apply-place" && detail.index === Math.floor(detail.total / 2)) {
    process.kill(process.pid, "SIGKILL");
  }
};
