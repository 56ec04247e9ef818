// Drives a running Witness server through a client generated from its own OpenAPI description
// (openapi-typescript → generated/witness.ts, openapi-fetch). Compiled with `tsc --strict`, run by
// node from Witness.Server.Tests: WITNESS_URL and WITNESS_KEY (a tenant-bound key with
// events:write and events:read) name the server. Exits non-zero with the first broken expectation.
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/witness.js";

type EventInput = components["schemas"]["EventInput"];
type Event = components["schemas"]["Event"];

const baseUrl = process.env.WITNESS_URL;
const key = process.env.WITNESS_KEY;
if (!baseUrl || !key) {
  throw new Error("set WITNESS_URL and WITNESS_KEY");
}

const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });

function event(id: string, city: string): EventInput {
  return {
    id,
    action: "inbox.create",
    category: "Inboxes",
    occurred_at: "2023-06-22T15:06:00Z",
    actor: { type: "user", id: "u_17", name: "Ada Admin", email: "ada@acme.example", role: "Administrator" },
    targets: [{ type: "inbox", id: id.replace("ts-", ""), name: "Support", url: `https://app.example.com/inboxes/${id}` }],
    context: { ip: "203.0.113.7", location: { country: "IT", city } },
    changes: { before: null, after: { name: "Support" } },
  };
}

// Send one event: 201, status created.
const sent = await client.POST("/v1/events", { body: event("ts-1", "Milan") });
assert.equal(sent.response.status, 201, JSON.stringify(sent.error));
const ack = sent.data?.events[0];
assert.ok(ack);
assert.equal(ack.id, "ts-1");
assert.equal(ack.status, "created");
assert.match(ack.hash, /^[0-9a-f]{64}$/);

// The same again: 200 in the same shape, status existing, same seq.
const repeated = await client.POST("/v1/events", { body: event("ts-1", "Milan") });
assert.equal(repeated.response.status, 200);
assert.equal(repeated.data?.events[0]?.status, "existing");
assert.equal(repeated.data?.events[0]?.seq, ack.seq);

// A batch of four more.
const batch = await client.POST("/v1/events", {
  body: { events: [event("ts-2", "Rome"), event("ts-3", "Berlin"), event("ts-4", "Berlin"), event("ts-5", "Paris")] },
});
assert.equal(batch.response.status, 201, JSON.stringify(batch.error));
assert.deepEqual(batch.data?.events.map((e) => e.status), ["created", "created", "created", "created"]);

// A bad event: a problem naming the field.
const bad = await client.POST("/v1/events", { body: { action: "Not An Action" } });
assert.equal(bad.response.status, 400);
assert.equal(bad.error?.errors?.[0]?.field, "action");

// Search and page: two at a time until next_cursor is null.
const seen: Event[] = [];
let cursor: string | undefined;
for (let pages = 0; pages < 10; pages++) {
  const page = await client.GET("/v1/events", {
    params: { query: { q: "actor:ada@acme.example action:inbox.*", limit: 2, cursor } },
  });
  assert.equal(page.response.status, 200, JSON.stringify(page.error));
  assert.ok(page.data);
  assert.ok(page.data.events.length <= 2);
  seen.push(...page.data.events);
  if (page.data.next_cursor === null) {
    break;
  }
  cursor = page.data.next_cursor;
}
assert.deepEqual(seen.map((e) => e.id).sort(), ["ts-1", "ts-2", "ts-3", "ts-4", "ts-5"]);

// A filter: only Berlin.
const berlin = await client.GET("/v1/events", { params: { query: { q: "Berlin", type: "activity" } } });
assert.deepEqual(berlin.data?.events.map((e) => e.id).sort(), ["ts-3", "ts-4"]);

// Read one with every field.
const one = await client.GET("/v1/events/{id}", { params: { path: { id: "ts-3" } } });
assert.equal(one.response.status, 200, JSON.stringify(one.error));
assert.equal(one.data?.seq, batch.data?.events[1]?.seq);
assert.equal(one.data?.context?.location?.city, "Berlin");
assert.equal(one.data?.actor.email, "ada@acme.example");
assert.match(one.data?.received_at ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

// A missing one: a 404 problem.
const missing = await client.GET("/v1/events/{id}", { params: { path: { id: "nope" } } });
assert.equal(missing.response.status, 404);
assert.equal(missing.error?.status, 404);

console.log(`typescript client: sent 5 events, paged ${seen.length}, read ${one.data?.id}`);
