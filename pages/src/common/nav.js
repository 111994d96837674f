// The links every page shows in its header, so a user finds the other pages.
export const PAGES = [
  ["/graphql", "GraphiQL"],
  ["/catalog", "Catalog"],
  ["/dashboard", "Dashboard"],
  ["/process", "Process"],
  ["/explore", "Explorer"],
  ["/glossary/", "Glossary"],
  ["/docs", "API docs"],
];

export function navLinks(current) {
  return PAGES.map(([href, text]) =>
    href === current ? `<strong>${text}</strong>` : `<a href="${href}">${text}</a>`,
  ).join(" ");
}
