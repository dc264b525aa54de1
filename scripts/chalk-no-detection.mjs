// Stands in for chalk's own color detection in paved's build (scripts/build.mjs says why): no colors by default.
export default { stdout: false, stderr: false };
