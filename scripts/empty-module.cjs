// Stands in for an optional dependency the bundle leaves out (see scripts/build.mjs).
module.exports = {};
