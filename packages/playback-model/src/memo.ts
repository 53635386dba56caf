/**
 * Per-object memo for derived tables (a ladder's timeline, a trace's cumulative bits): simulators
 * run thousands of sessions over the same objects. Weakly held, so dropping the object drops them.
 */
export function memoizeByObject<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}
