// GraphiQL for DigiSpine, bundled so it works offline. The API key typed at the top goes as a
// header on queries and in graphql-transport-ws's connection_init payload on subscriptions (a
// browser cannot set headers on a websocket). `/graphql#query=…&variables=…` opens with that query.
import React, { useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { createClient } from "graphql-ws";
import "graphiql/graphiql.css";
import { bindKeyField, keyHeaders, storedKey } from "../common/apikey.js";
import { navLinks } from "../common/nav.js";

const GRAPHQL = "/graphql";
const WS_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL}`;

function connection(key) {
  // lazy: the socket opens with the first subscription; the key is read again at each reconnect
  const wsClient = createClient({ url: WS_URL, lazy: true, connectionParams: () => (key ? { apiKey: key } : {}) });
  const fetcher = createGraphiQLFetcher({ url: GRAPHQL, headers: keyHeaders(key), wsClient });
  return { wsClient, fetcher };
}

function initialDocument() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { query: params.get("query") || undefined, variables: params.get("variables") || undefined };
}

function App({ initial }) {
  const [key, setKey] = useState(storedKey());
  useEffect(() => {
    window.digispineGraphiQL.setKey = setKey;
  }, []);
  const { wsClient, fetcher } = useMemo(() => connection(key), [key]);
  useEffect(() => () => wsClient.dispose(), [wsClient]);
  return (
    <GraphiQL
      fetcher={fetcher}
      query={initial.query}
      variables={initial.variables}
      defaultEditorToolsVisibility={Boolean(initial.variables)}
      shouldPersistHeaders={false}
    />
  );
}

window.digispineGraphiQL = { ready: false, setKey: null };
document.getElementById("nav").innerHTML = navLinks(GRAPHQL);
bindKeyField(document.getElementById("api-key"), (key) => window.digispineGraphiQL.setKey(key));
createRoot(document.getElementById("graphiql")).render(<App initial={initialDocument()} />);
window.digispineGraphiQL.ready = true;
