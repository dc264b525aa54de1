import type { Manifest } from "../templates/manifest.js";

/** What one template version says to the teams that upgrade across it. */
export interface ReleaseNote {
  version: string;
  released: string | null;
  changelog: string | null;
  /** Steps a person must take (the manifest's `actions:`). */
  actions: string[];
}

/** The notes of every version an upgrade crosses, oldest first (the recorded version itself is not crossed). */
export function releaseNotesOf(crossed: readonly Manifest[]): ReleaseNote[] {
  return crossed.map((m) => ({
    version: m.version,
    released: m.released ?? null,
    changelog: m.changelog?.trim() ? m.changelog.trim() : null,
    actions: [...m.actions],
  }));
}

function indent(text: string, by: string): string[] {
  return text.split("\n").map((line) => (line.trim() === "" ? "" : `${by}${line}`));
}

/** One section per version: heading, the changelog, then the manual steps as a checklist. */
export function formatReleaseNotes(
  template: string,
  notes: readonly ReleaseNote[],
  heading: (title: string) => string = (t) => t,
): string[] {
  const lines: string[] = [];
  for (const note of notes) {
    if (note.changelog === null && note.actions.length === 0) continue;
    if (lines.length > 0) lines.push("");
    lines.push(heading(`${template} ${note.version}${note.released ? ` (${note.released})` : ""}`));
    if (note.changelog !== null) lines.push(...indent(note.changelog, "  "));
    if (note.actions.length > 0) {
      lines.push("  Action needed:");
      for (const action of note.actions) lines.push(`    - [ ] ${action}`);
    }
  }
  return lines;
}

/**
 * The commit message of an upgrade: a subject, then one section per version crossed with its changelog
 * and actions, so the history says what each landed upgrade brought and asked for.
 */
export function upgradeCommitMessage(input: {
  template: string;
  from: string;
  to: string;
  sourceId: string;
  notes: readonly ReleaseNote[];
  /** Set for a same-version re-render: the answers that changed. */
  answerChanges?: readonly AnswerChange[];
  /** The service's folder from the repository root, for a service below it (a monorepo): the subject's scope. */
  path?: string;
}): string {
  const { template, from, to } = input;
  const changes = input.answerChanges ?? [];
  const answers = changes.map((c) => `${c.name} ${show(c.from)} -> ${show(c.to)}`).join(", ");
  const subject =
    from === to
      ? `Change answers of ${template} ${to}: ${answers || "(none)"}`
      : `Upgrade ${template} from ${from} to ${to}${answers ? ` (answers: ${answers})` : ""}`;
  const scoped = input.path ? `${input.path}: ${subject}` : subject;
  const body = [`Applied by \`paved upgrade\` (template ${template}, source ${input.sourceId}).`];
  if (input.notes.length > 0) body.push("", ...formatReleaseNotes(template, input.notes, (t) => `## ${t}`));
  return `${scoped}\n\n${body.join("\n")}\n`;
}

export interface AnswerChange {
  name: string;
  from: unknown;
  to: unknown;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "(unset)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Answers whose value differs between two answer sets (questions new on one side count as changed only when set on both). */
export function changedAnswers(before: Record<string, unknown>, after: Record<string, unknown>): AnswerChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((n) => n in before && n in after && JSON.stringify(before[n]) !== JSON.stringify(after[n]))
    .map((n) => ({ name: n, from: before[n], to: after[n] }));
}
