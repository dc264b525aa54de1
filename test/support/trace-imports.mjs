// Records every module URL the process loads, one per line, to $PAVED_TRACE_IMPORTS.
import { register } from "node:module";

register(new URL("./trace-imports-hooks.mjs", import.meta.url), { data: { file: process.env.PAVED_TRACE_IMPORTS } });
