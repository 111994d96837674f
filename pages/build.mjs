// Bundles DigiSpine's pages into graph_service/api/pages_static/ so they work offline: GraphiQL
// (React, graphql-ws) and the catalog page by esbuild; Swagger UI's prebuilt bundle
// copied from its npm package. Nothing is fetched at runtime.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "graph_service", "api", "pages_static");
mkdirSync(out, { recursive: true });

// One bundle per page with a script of its own (src/<page>/main.js[x]).
const entries = {
  graphiql: join(here, "src", "graphiql", "main.jsx"),
  catalog: join(here, "src", "catalog", "main.js"),
  dashboard: join(here, "src", "dashboard", "main.js"),
  process: join(here, "src", "process", "main.js"),
};
await build({
  entryPoints: entries,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: out,
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".svg": "dataurl" },
  logLevel: "warning",
});

const copies = [
  [join(modules, "swagger-ui-dist", "swagger-ui-bundle.js"), "swagger-ui-bundle.js"],
  [join(modules, "swagger-ui-dist", "swagger-ui.css"), "swagger-ui.css"],
  [join(modules, "swagger-ui-dist", "favicon-32x32.png"), "favicon-32x32.png"],
  [join(here, "src", "pages.css"), "pages.css"],
];
for (const page of readdirSync(join(here, "src"), { withFileTypes: true })) {
  if (page.isDirectory() && page.name !== "common") {
    for (const file of readdirSync(join(here, "src", page.name))) {
      if (file.endsWith(".html")) copies.push([join(here, "src", page.name, file), `${page.name}.html`]);
    }
  }
}
for (const [from, to] of copies) copyFileSync(from, join(out, to));
console.log(`pages bundled into ${out}`);
