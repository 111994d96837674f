// The peer of `bench/graphql.py --peer`: the official Neo4j GraphQL Library (@neo4j/graphql) on
// Apollo Server's standalone HTTP server, one Node.js process, over the bench plant's graph.
//
// Run by bench/graphql_peer.py (see docs/graphql.md, "The peer"):
//   NEO4J_URI=bolt://… NEO4J_USER=neo4j NEO4J_PASSWORD=… PEER_PORT=4000 node server.mjs
// It prints "ready <url>" on stdout once it answers. The type definitions declare only what the
// benchmark's three cases read (the same labels, properties and relationships that DigiSpine's
// schema generates for them from the ontology); everything else about the library is its default.
//
// PEER_PROFILE=<file>: for every statement the library sends, also run it with PROFILE (same text,
// same parameters, in its own session) and append {"cypher", "dbHits"} as a JSON line to the file.
// Only for learning the db hits of the library's statements: never while measuring.
import { appendFileSync } from "node:fs";

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const typeDefs = /* GraphQL */ `
  type SalesOrder @node {
    salesOrderNumber: String!
    orderDate: Date
    requestedDeliveryDate: Date
    status: String
    currency: String
    totalNetAmount: Float
    orderedBy: [Customer!]! @relationship(type: "ORDERED_BY", direction: OUT)
  }

  type Customer @node {
    customerNumber: String!
    name: String
  }

  type ProductionOrder @node {
    productionOrderNumber: String!
    plannedStart: DateTime
    goodQuantity: Float
    status: String
    hasOperation: [Operation!]! @relationship(type: "OPERATION_OF", direction: IN)
    lotsViaProducedBy: [Lot!]! @relationship(type: "PRODUCED_BY", direction: IN)
  }

  type Operation @node {
    operationId: String!
    sequence: Int
    performedOn: [Equipment!]! @relationship(type: "PERFORMED_ON", direction: OUT)
  }

  type Equipment @node {
    equipmentId: String!
  }

  type Lot @node {
    lotNumber: String!
    lotQuantity: Float
  }
`;

const env = process.env;
const database = env.NEO4J_DATABASE || "neo4j";
const driver = neo4j.driver(env.NEO4J_URI, neo4j.auth.basic(env.NEO4J_USER || "neo4j", env.NEO4J_PASSWORD));
await driver.verifyConnectivity({ database });

if (env.PEER_PROFILE) {
  // Wrap the transaction's run: the library runs every statement through a managed transaction.
  const run = neo4j.ManagedTransaction.prototype.run;
  neo4j.ManagedTransaction.prototype.run = function (query, parameters) {
    const result = run.call(this, query, parameters);
    return result.then(async (answer) => {
      const session = driver.session({ database, defaultAccessMode: neo4j.session.READ });
      try {
        const profiled = await session.run(`PROFILE ${query.replace(/^CYPHER 5\n/, "")}`, parameters);
        const hits = (plan) => (plan.dbHits ?? 0) + (plan.children ?? []).reduce((s, c) => s + hits(c), 0);
        appendFileSync(env.PEER_PROFILE, JSON.stringify({ cypher: query, dbHits: hits(profiled.summary.profile) }) + "\n");
      } finally {
        await session.close();
      }
      return answer;
    });
  };
}

const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(env.PEER_PORT || 0) },
  context: async () => ({ sessionConfig: { database } }),
});
console.log(`ready ${url}`);

const stop = async () => {
  await server.stop();
  await driver.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
