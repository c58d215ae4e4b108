// A control device's route in the form (issue 19), pure: the sites in the order shown (the
// route first, home on top, then the other sites), moved up or down by buttons that post the
// form (no script needed), and the route saved: the ticked sites in the order shown.

/** The order to show: the route's sites (known ones, in route order), then every other site. */
export function shownOrder(route: readonly string[], sites: readonly string[]): string[] {
  const known = new Set(sites);
  const first = [...new Set(route)].filter((id) => known.has(id));
  const rest = sites.filter((id) => !first.includes(id));
  return [...first, ...rest];
}

/**
 * The order posted by the form (`order`, one hidden field per row) made whole against the sites
 * that exist now: unknown ids dropped, missing sites appended. Without `order` (a client posting
 * `site_ids` alone), the ticked sites in the order posted, then the others.
 */
export function postedOrder(order: readonly string[], ticked: readonly string[], sites: readonly string[]): string[] {
  if (!order.length) return shownOrder(ticked, sites);
  const known = new Set(sites);
  const seen = [...new Set(order)].filter((id) => known.has(id));
  return [...seen, ...sites.filter((id) => !seen.includes(id))];
}

/** `move` is "up:<site>" or "down:<site>": that site swaps with its neighbour; anything else: no change. */
export function moved(order: readonly string[], move: string): string[] {
  const m = /^(up|down):(.+)$/.exec(move);
  const out = [...order];
  if (!m) return out;
  const i = out.indexOf(m[2] as string);
  const j = m[1] === 'up' ? i - 1 : i + 1;
  if (i < 0 || j < 0 || j >= out.length) return out;
  [out[i], out[j]] = [out[j] as string, out[i] as string];
  return out;
}

/** The route to save: the ticked sites in the order shown (duplicates once). */
export function routeOf(order: readonly string[], ticked: readonly string[]): string[] {
  const on = new Set(ticked);
  const route = order.filter((id) => on.has(id));
  // A ticked site the order does not show (posted without `order`): after, in the order ticked.
  for (const id of ticked) if (!route.includes(id)) route.push(id);
  return route;
}
