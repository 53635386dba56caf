/**
 * Bjøntegaard delta rate (VCEG-M33, 2001): how many more (or fewer, negative) bits a test
 * rate–quality curve spends than an anchor at the same quality, averaged over the quality range both
 * cover. Each curve is fitted with a least-squares polynomial of log-rate in quality — cubic from
 * four points up (the original method), of degree points − 1 below — and the fits are integrated
 * over the overlapping quality range; the mean log-rate difference d gives BD-rate = 10^d − 1.
 * Pure, so the benchmark and any report compute it the same way.
 */

export interface RatePoint {
  bitrateKbps: number;
  /** Quality in any metric where higher is better (PSNR dB here). */
  quality: number;
}

export interface BdRate {
  /** (test bits / anchor bits) − 1 at equal quality: −0.25 is 25 % fewer bits. */
  bdRate: number;
  /** The quality range both curves cover, where the rates were compared. */
  overlap: { from: number; to: number };
  /** Degree of the fit used for anchor and test. */
  degree: { anchor: number; test: number };
}

export class BdRateInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BdRateInputError';
  }
}

const MAX_DEGREE = 3;

/** BD-rate of `test` against `anchor`; null when their quality ranges do not overlap. */
export function bdRate(anchor: readonly RatePoint[], test: readonly RatePoint[]): BdRate | null {
  const a = checked(anchor, 'anchor');
  const t = checked(test, 'test');
  const from = Math.max(min(a.map((p) => p.quality)), min(t.map((p) => p.quality)));
  const to = Math.min(max(a.map((p) => p.quality)), max(t.map((p) => p.quality)));
  if (!(to > from)) return null;
  const fitA = fitLogRate(a);
  const fitT = fitLogRate(t);
  const meanDiff =
    (integrate(fitT.coefficients, from, to) - integrate(fitA.coefficients, from, to)) / (to - from);
  return {
    bdRate: 10 ** meanDiff - 1,
    overlap: { from, to },
    degree: { anchor: fitA.degree, test: fitT.degree },
  };
}

function checked(points: readonly RatePoint[], name: string): RatePoint[] {
  if (points.length < 2) throw new BdRateInputError(`${name} needs at least 2 points, got ${points.length}`);
  for (const [i, p] of points.entries()) {
    if (!(Number.isFinite(p.bitrateKbps) && p.bitrateKbps > 0 && Number.isFinite(p.quality))) {
      throw new BdRateInputError(
        `${name}[${i}] needs a finite bitrate > 0 and a finite quality, got ${p.bitrateKbps} / ${p.quality}`,
      );
    }
  }
  if (new Set(points.map((p) => p.quality)).size < 2) {
    throw new BdRateInputError(`${name} needs at least 2 different qualities`);
  }
  return [...points];
}

/**
 * log10(rate) as a polynomial in quality, coefficients lowest power first. Quality is centred and
 * scaled inside the fit (PSNR³ ≈ 10⁵ makes the normal equations ill-conditioned otherwise).
 */
function fitLogRate(points: readonly RatePoint[]): { coefficients: number[]; degree: number } {
  const distinct = new Set(points.map((p) => p.quality)).size;
  const degree = Math.min(MAX_DEGREE, distinct - 1);
  const qs = points.map((p) => p.quality);
  const centre = (min(qs) + max(qs)) / 2;
  const scale = (max(qs) - min(qs)) / 2;
  const xs = qs.map((q) => (q - centre) / scale);
  const ys = points.map((p) => Math.log10(p.bitrateKbps));
  // Normal equations: (XᵀX) c = Xᵀy.
  const size = degree + 1;
  const m = Array.from({ length: size }, (_, r) =>
    Array.from({ length: size + 1 }, (_, c) =>
      c < size
        ? xs.reduce((sum, x) => sum + x ** (r + c), 0)
        : xs.reduce((sum, x, i) => sum + x ** r * (ys[i] as number), 0),
    ),
  );
  const scaled = solve(m);
  // Back to powers of the quality itself: Σ s_k ((q − centre)/scale)^k expanded binomially.
  const coefficients = Array.from({ length: size }, () => 0);
  for (let k = 0; k < size; k++) {
    for (let j = 0; j <= k; j++) {
      coefficients[j] =
        (coefficients[j] as number) +
        ((scaled[k] as number) * binomial(k, j) * (-centre) ** (k - j)) / scale ** k;
    }
  }
  return { coefficients, degree };
}

/** Gaussian elimination with partial pivoting on an augmented matrix. */
function solve(m: number[][]): number[] {
  const n = m.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(m[r]?.[col] as number) > Math.abs(m[pivot]?.[col] as number)) pivot = r;
    }
    [m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]];
    const row = m[col] as number[];
    const lead = row[col] as number;
    if (Math.abs(lead) < 1e-12) throw new BdRateInputError('the points do not determine a fit');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const other = m[r] as number[];
      const factor = (other[col] as number) / lead;
      for (let c = col; c <= n; c++) other[c] = (other[c] as number) - factor * (row[c] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

/** ∫ from..to of Σ c_k q^k dq. */
function integrate(coefficients: readonly number[], from: number, to: number): number {
  return coefficients.reduce((sum, c, k) => sum + (c * (to ** (k + 1) - from ** (k + 1))) / (k + 1), 0);
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

const min = (values: readonly number[]): number => Math.min(...values);
const max = (values: readonly number[]): number => Math.max(...values);
