/**
 * A rough strength check for a passphrase someone chooses: short, one kind
 * of character, repeated or well-known passphrases get a warning (not a
 * refusal: the user decides).
 *
 * @module
 */

const COMMON = new Set([
  'password', 'passw0rd', 'password1', '123456', '12345678', '123456789', '1234567890', 'qwerty', 'qwertyuiop',
  'letmein', 'iloveyou', 'admin', 'welcome', 'monkey', 'dragon', 'abc123', 'secret', 'natter', 'changeme', 'trustno1'
])

/** About how many bits of guessing the passphrase takes, by its length and the kinds of characters in it. */
export function estimateBits (passphrase: string): number {
  const chars = [...passphrase]
  let pool = 0
  if (/[a-z]/.test(passphrase)) pool += 26
  if (/[A-Z]/.test(passphrase)) pool += 26
  if (/[0-9]/.test(passphrase)) pool += 10
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 33
  const distinct = new Set(chars).size
  // repeats add little: count distinct characters fully, repeats at a quarter
  const effective = distinct + (chars.length - distinct) / 4
  return Math.round(effective * Math.log2(Math.max(pool, 2)))
}

/** Why the passphrase is weak, or undefined when it looks strong enough (≈ 60 bits and not a known one). */
export function passphraseWeakness (passphrase: string): string | undefined {
  const lower = passphrase.toLowerCase()
  if (COMMON.has(lower) || COMMON.has(lower.replace(/[0-9!]+$/, ''))) {
    return 'it is one of the most common passphrases'
  }
  if ([...passphrase].length < 12) {
    return `it has only ${[...passphrase].length} characters`
  }
  const bits = estimateBits(passphrase)
  if (bits < 60) {
    return `it is easy to guess (about ${bits} bits)`
  }
  return undefined
}
