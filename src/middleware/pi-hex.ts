/**
 * The hexadecimal digits of pi after the point, computed with Machin's formula in BigInt fixed
 * point. Blowfish's initial P-array and S-boxes are these digits (Schneier 1993): computing them
 * (about 50 ms, once, on the first bcrypt check) replaces a 1042-word table nobody can review.
 */
export function piHexDigits(count: number): string {
  const guard = 16;
  const bits = BigInt(4 * (count + guard));
  const one = 1n << bits;
  const atanInverse = (x: bigint): bigint => {
    // atan(1/x) = sum (-1)^k / ((2k+1) x^(2k+1))
    let power = one / x;
    const x2 = x * x;
    let sum = 0n;
    for (let k = 0n; power !== 0n; k++) {
      const term = power / (2n * k + 1n);
      sum = k % 2n === 0n ? sum + term : sum - term;
      power /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInverse(5n) - 4n * atanInverse(239n);
  const fraction = pi - 3n * one;
  return fraction
    .toString(16)
    .padStart(count + guard, "0")
    .slice(0, count);
}
