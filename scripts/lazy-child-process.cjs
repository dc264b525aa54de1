// node:child_process for commander, loaded on first use. Commander requires it when it loads, only to run
// executable subcommands, which paved has none of; loading it (with net, stream and dgram) was a noticeable part
// of every start-up. paved's own git runner loads it on first use too (src/git/run.ts).
module.exports = new Proxy({}, { get: (_, name) => process.getBuiltinModule("node:child_process")[name] });
