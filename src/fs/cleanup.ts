/**
 * Work to undo if the process is interrupted (SIGINT, SIGTERM): staging directories, half-written targets,
 * running hooks. Handlers run synchronously inside the signal handler, newest first.
 */
type Undo = () => void;

const pending = new Set<Undo>();

export function onInterrupt(undo: Undo): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

/** Run every pending undo (newest first); errors are swallowed so every undo gets its turn. */
export function runInterruptCleanup(): void {
  for (const undo of [...pending].reverse()) {
    try {
      undo();
    } catch {
      // best effort: the next undo must still run
    }
  }
  pending.clear();
}
