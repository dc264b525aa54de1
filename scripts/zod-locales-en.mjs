// Stands in for zod/v4/locales/index.js in the bundle (see scripts/build.mjs): English only.
export { default as en } from "zod/v4/locales/en.js";
