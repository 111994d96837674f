// A layered left-to-right layout of a directed graph (a small Sugiyama-style pass, no dependency):
// 1. cycles are broken by a depth-first search that starts at the start nodes (nothing comes
//    before them; then those with the most more out than in), marking edges back to a node on the
//    search's stack as back edges;
// 2. each node's layer is its longest path from a start over the other edges, so every forward
//    edge points right;
// 3. nodes in a layer are ordered by the mean position of their neighbours in the layer before
//    (then after), a few sweeps each way, which removes most crossings of a process graph.
// Self-loops take no part. Returns nodes {name, layer, index}, layers (names per layer) and the
// back edges.
export function layout(pairs) {
  const names = [...new Set(pairs.flat())].sort();
  const out = Object.fromEntries(names.map((n) => [n, []]));
  const into = Object.fromEntries(names.map((n) => [n, []]));
  for (const [a, b] of pairs) {
    if (a === b) continue;
    out[a].push(b);
    into[b].push(a);
  }
  const balance = (n) => out[n].length - into[n].length;
  const roots = [...names].sort((a, b) => (into[a].length === 0) !== (into[b].length === 0)
    ? (into[a].length === 0 ? -1 : 1)
    : balance(b) - balance(a) || a.localeCompare(b));

  const back = [];
  const seen = new Set();
  const onStack = new Set();
  const forward = Object.fromEntries(names.map((n) => [n, []]));
  function visit(node) {
    seen.add(node);
    onStack.add(node);
    for (const next of out[node]) {
      if (onStack.has(next)) back.push([node, next]);
      else {
        forward[node].push(next);
        if (!seen.has(next)) visit(next);
      }
    }
    onStack.delete(node);
  }
  for (const root of roots) if (!seen.has(root)) visit(root);

  // longest path over the forward edges (a DAG now), in topological order
  const indegree = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names) for (const m of forward[n]) indegree[m] += 1;
  const layer = Object.fromEntries(names.map((n) => [n, 0]));
  const queue = names.filter((n) => indegree[n] === 0);
  while (queue.length) {
    const n = queue.shift();
    for (const m of forward[n]) {
      layer[m] = Math.max(layer[m], layer[n] + 1);
      if (--indegree[m] === 0) queue.push(m);
    }
  }
  const depth = Math.max(0, ...Object.values(layer));
  const layers = Array.from({ length: depth + 1 }, () => []);
  for (const n of roots) layers[layer[n]].push(n);

  const position = {};
  const place = () => layers.forEach((l) => l.forEach((n, i) => { position[n] = i; }));
  place();
  const barycentre = (n, neighbours) => {
    const known = neighbours.filter((m) => m in position && m !== n);
    return known.length ? known.reduce((s, m) => s + position[m], 0) / known.length : position[n];
  };
  for (let sweep = 0; sweep < 4; sweep += 1) {
    const down = sweep % 2 === 0;
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const l of order) {
      const score = Object.fromEntries(l.map((n) => [n, barycentre(n, down ? into[n] : out[n])]));
      l.sort((a, b) => score[a] - score[b] || a.localeCompare(b));
      l.forEach((n, i) => { position[n] = i; });
    }
  }
  place();
  const nodes = names.map((name) => ({ name, layer: layer[name], index: position[name] }));
  return { nodes, layers, back };
}
