/**
 * Work to undo if the process is interrupted (SIGINT, SIGTERM): staging directories, half-written targets,
 * running hooks and git processes.
 *
 * Order matters: child processes (hooks, git) are stopped first and waited for, because a git still running
 * would re-create directories inside a staging directory we had just removed. Then the undos run, newest first.
 */
type Undo = () => void;

const pending = new Set<Undo>();
const children = new Set<Promise<unknown>>();
const controller = new AbortController();
let receivedSignal: NodeJS.Signals | undefined;

/** Aborted when paved is interrupted: pass it to every child process so they stop with us. */
export const interruptSignal: AbortSignal = controller.signal;

/** The signal that interrupted this run, if any. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return receivedSignal;
}

export function onInterrupt(undo: Undo): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

/** Register a running child process, so an interrupt waits for it to stop before cleaning up. */
export function trackChild<T>(work: Promise<T>): Promise<T> {
  children.add(work);
  const forget = () => children.delete(work);
  work.then(forget, forget);
  return work;
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

const CHILD_GRACE_MS = 3000;

/** Stop child processes, wait (briefly) for them to exit, then undo. */
export async function interruptAndCleanup(signal: NodeJS.Signals): Promise<void> {
  receivedSignal ??= signal;
  controller.abort();
  if (children.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CHILD_GRACE_MS);
    });
    await Promise.race([Promise.allSettled([...children]), grace]);
    clearTimeout(timer);
  }
  runInterruptCleanup();
}
