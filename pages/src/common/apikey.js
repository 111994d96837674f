// The API key a page sends: typed into the header's field, kept in the browser's local storage
// under the same name as the explorer's, so a key entered once serves every page.
export const KEY_STORAGE = "digispine.apiKey";

export function storedKey() {
  return (localStorage.getItem(KEY_STORAGE) || "").trim();
}

// Headers for a POST /graphql (none without a key: the server may grant anonymous roles).
export function keyHeaders(key) {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// Wire an <input> to the stored key; onChange(key) runs after each change.
export function bindKeyField(input, onChange) {
  input.value = storedKey();
  input.addEventListener("change", () => {
    const key = input.value.trim();
    if (key === storedKey()) return; // a blur after Enter fires change again: reload only once
    localStorage.setItem(KEY_STORAGE, key);
    onChange(key);
  });
}

// One GraphQL request with the stored key; throws with the server's own words on refusal.
export async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...keyHeaders(storedKey()) },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new Error("401: this server needs an API key (field at the top right)");
  const body = await response.json().catch(() => ({}));
  if (body.errors && body.errors.length && !body.data) {
    throw new Error(body.errors.map((e) => e.message).join("; "));
  }
  if (!response.ok) throw new Error(`${response.status}: ${JSON.stringify(body)}`);
  return body;
}
