/**
 * "Did you mean": the closest known word to a typo (edit distance at most 2,
 * or a unique prefix).
 *
 * @module
 */

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
export function editDistance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
      }
    }
  }
  return d[a.length]![b.length]!
}

/** The closest of `candidates` to `word`, if one is close enough. */
export function didYouMean (word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  const prefixed = candidates.filter(c => c.startsWith(w))
  if (w.length > 0 && prefixed.length === 1) {
    return prefixed[0]
  }
  let best: string | undefined
  let bestDistance = Math.min(2, Math.max(1, Math.floor(w.length / 2)))
  for (const c of candidates) {
    const distance = editDistance(w, c)
    if (distance <= bestDistance) {
      if (distance < bestDistance || best == null) {
        best = c
      }
      bestDistance = distance
    }
  }
  return best
}
