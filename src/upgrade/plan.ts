import {
  byteString,
  DEFAULT_FILE_MODE,
  EXECUTABLE_FILE_MODE,
  entriesEqual,
  fromByteString,
  isBinary,
  isExecutable,
  sameBytes,
  type FileEntry,
  type FileTree,
} from "../tree.js";
import { mergeBytes, type ConflictStyle, type MergeLabels } from "../diff/xdiff/diff3.js";
import { unifiedDiff } from "../diff/unified-diff.js";

/**
 * What upgrade does to one file. Only `result` changes the tree: an entry is written, null deletes,
 * undefined leaves the file as it is.
 */
export type ActionKind = "create" | "update" | "merge" | "conflict" | "delete" | "keep" | "overwrite";

export interface FileConflict {
  kind: "content" | "binary";
  /** The three versions, for the git index (stages 1, 2, 3). */
  base?: FileEntry;
  ours?: FileEntry;
  theirs?: FileEntry;
  /** Number of conflicting regions (content conflicts). */
  regions: number;
}

export interface FileAction {
  path: string;
  action: ActionKind;
  /** Why, in a few words, for the plan and the report. */
  reason: string;
  result?: FileEntry | null;
  conflict?: FileConflict;
  /** Something the team should look at although nothing conflicts (e.g. a kept file the template dropped). */
  notice?: boolean;
}

/** An action that conflicts: the three versions are there for the index and the report. */
export type ConflictedAction = FileAction & { conflict: FileConflict };

export function isConflicted(action: FileAction): action is ConflictedAction {
  return action.conflict !== undefined;
}

export type ConflictOutput = "inline" | "rej";

export interface PlanInput {
  /** The recorded version rendered with the recorded answers. */
  base: FileTree;
  /** The target version rendered with the new answers. */
  theirs: FileTree;
  /** The working tree (tracked and untracked, not ignored). */
  ours: FileTree;
  /** Paths the platform owns in the target version: theirs wins. */
  managed: ReadonlySet<string>;
  labels: MergeLabels;
  conflict?: ConflictOutput;
  style?: ConflictStyle;
  /** Paths the plan must not touch (e.g. `.paved.yml`, which upgrade writes itself). */
  ignore?: ReadonlySet<string>;
}

/** Text as git decides it (no NUL in the first 8,000 bytes), whatever the encoding: merged line by line. */
function isText(entry: FileEntry | undefined): boolean {
  return entry === undefined || (entry.symlink === undefined && !isBinary(entry.data));
}

/** The executable bit merged three ways: the team's choice wins when it made one, else the template's. */
function mergedMode(base: FileEntry | undefined, ours: FileEntry, theirs: FileEntry): number {
  const baseExec = base ? isExecutable(base) : isExecutable(theirs);
  const exec = isExecutable(ours) !== baseExec ? isExecutable(ours) : isExecutable(theirs);
  return exec ? EXECUTABLE_FILE_MODE : DEFAULT_FILE_MODE;
}

/** Both sides changed a file that exists on both: merge contents and modes. */
function mergeBoth(path: string, base: FileEntry | undefined, ours: FileEntry, theirs: FileEntry, input: PlanInput): FileAction[] {
  const mode = mergedMode(base, ours, theirs);
  const newFile = base === undefined;
  if (!isText(base) || !isText(ours) || !isText(theirs)) {
    return [
      {
        path,
        action: "conflict",
        reason: newFile
          ? "binary file added by the template collides with yours; yours kept"
          : "binary file changed by you and by the template; yours kept",
        conflict: { kind: "binary", ...(base ? { base } : {}), ours, theirs, regions: 1 },
      },
    ];
  }
  if (base && sameBytes(ours.data, base.data)) {
    return [
      {
        path,
        action: "update",
        reason: "you changed only the mode; the template changed the content",
        result: { data: theirs.data, mode },
      },
    ];
  }
  if (base && sameBytes(theirs.data, base.data)) {
    return [
      { path, action: "update", reason: "the template changed only the mode; your content is kept", result: { data: ours.data, mode } },
    ];
  }
  const baseData = base ? base.data : new Uint8Array();
  const merged = mergeBytes(baseData, ours.data, theirs.data, { labels: input.labels, ...(input.style ? { style: input.style } : {}) });
  if (merged.conflicts === 0) {
    return [
      {
        path,
        action: "merge",
        reason: newFile ? "added by the template and by you; merged cleanly" : "changed by you and by the template; merged cleanly",
        result: { data: merged.data, mode },
      },
    ];
  }
  const regions = merged.conflicts;
  const conflict: FileConflict = { kind: "content", ...(base ? { base } : {}), ours, theirs, regions };
  const why = `${newFile ? "added by the template and by you" : "changed by you and by the template"}; ${regions} conflicting region${regions === 1 ? "" : "s"}`;
  if (input.conflict !== "rej") {
    return [{ path, action: "conflict", reason: why, result: { data: merged.data, mode }, conflict }];
  }
  const keptOurs = mergeBytes(baseData, ours.data, theirs.data, { favor: "ours" }).data;
  const tookTheirs = mergeBytes(baseData, ours.data, theirs.data, { favor: "theirs" }).data;
  const rej = unifiedDiff(
    byteString(keptOurs),
    byteString(tookTheirs),
    byteString(Buffer.from(`a/${path}`)),
    byteString(Buffer.from(`b/${path}`)),
  );
  return [
    {
      path,
      action: "conflict",
      reason: `${why}; your lines kept, the template's in ${path}.rej`,
      result: { data: keptOurs, mode },
      conflict,
    },
    {
      path: `${path}.rej`,
      action: "create",
      reason: `the template's changes to ${path} that conflict with yours (apply by hand, then delete this file)`,
      result: { data: fromByteString(rej), mode: DEFAULT_FILE_MODE },
    },
  ];
}

/** Decide one file. Returns no action when nothing happens and there is nothing to say. */
function planFile(path: string, input: PlanInput): FileAction[] {
  const base = input.base.get(path);
  const theirs = input.theirs.get(path);
  const ours = input.ours.get(path);
  const teamChanged = !entriesEqual(ours, base);
  const templateChanged = !entriesEqual(theirs, base);

  if (!base && !theirs) return []; // the team's own file
  if (!templateChanged) {
    if (!teamChanged) return [];
    return [{ path, action: "keep", reason: ours ? "changed by you; the template did not change it" : "deleted by you; stays deleted" }];
  }
  if (entriesEqual(ours, theirs)) return [{ path, action: "keep", reason: "already matches the new template" }];
  if (!teamChanged) {
    if (!theirs) return [{ path, action: "delete", reason: "removed by the template; you had not changed it", result: null }];
    if (!base) return [{ path, action: "create", reason: "new in the template", result: theirs }];
    return [{ path, action: "update", reason: "changed by the template; you had not changed it", result: theirs }];
  }
  if (theirs && input.managed.has(path)) {
    return [
      {
        path,
        action: "overwrite",
        reason: "managed by the platform: the template's version replaces your edits (they stay in git history)",
        result: theirs,
        notice: Boolean(ours),
      },
    ];
  }
  if (!ours) return [{ path, action: "keep", reason: "deleted by you; stays deleted (the template changed it)", notice: true }];
  if (!theirs)
    return [
      {
        path,
        action: "keep",
        reason: "removed by the template but changed by you; kept — delete it if you no longer need it",
        notice: true,
      },
    ];
  return mergeBoth(path, base, ours, theirs, input);
}

/**
 * The upgrade plan: one decision per file that base, theirs or ours holds. Pure: no disk, no git.
 * Files nobody changed and the team's own files produce no action.
 */
export function planUpgrade(input: PlanInput): FileAction[] {
  const paths = new Set<string>([...input.base.keys(), ...input.theirs.keys(), ...input.ours.keys()]);
  const actions: FileAction[] = [];
  for (const path of [...paths].sort()) {
    if (input.ignore?.has(path)) continue;
    actions.push(...planFile(path, input));
  }
  return actions;
}

/** The working tree after the plan, in memory. */
export function applyPlan(ours: FileTree, actions: readonly FileAction[]): FileTree {
  const next: FileTree = new Map(ours);
  for (const a of actions) {
    if (a.result === null) next.delete(a.path);
    else if (a.result !== undefined) next.set(a.path, a.result);
  }
  return next;
}
