/** The end of the event loop's turn, after its I/O, where there is one (Node, Bun); else the next turn. */
export const later: (run: () => void) => void =
  typeof setImmediate === "function" ? (run) => setImmediate(run) : (run) => setTimeout(run, 0)
