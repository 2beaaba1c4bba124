// The JSON Schema of every list route's body (see api/pagination.h):
//   {"data": [items...], "nextCursor": "..." | null}
// `item_schema` is a string literal of the items' JSON Schema, so that a
// list schema is one compile-time constant like the others:
//
//   inline constexpr char kApiKeyList[] =
//       LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/ApiKey"})");
//
// The OpenAPI builder (api/openapi.cc) gives every operation whose body has
// this shape the `limit` and `cursor` query parameters.
#pragma once

#define LATCHKEY_LIST_SCHEMA(item_schema)                                              \
  R"({"type":"object","required":["data","nextCursor"],"additionalProperties":false,)" \
  R"("properties":{"data":{"type":"array","items":)" item_schema R"(},)"               \
  R"("nextCursor":{"type":["string","null"],)"                                         \
  R"("description":"pass it as ?cursor= for the next page; null on the last page"}}})"
