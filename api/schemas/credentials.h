// JSON Schemas of the provider key and secret routes (routes_credentials.cc).
#pragma once

#include "api/schemas/list.h"

namespace latchkey::schemas {

// Secret, CreatedSecret and the health check shapes, in
// #/components/schemas. CredentialsSummary and PutProviderKeysRequest name
// every provider's fields: the builder makes them from Providers().
inline constexpr char kCredentialComponents[] = R"({
    "SecretHealthCheck": {"type":"object","required":["url","expectStatus"],
      "additionalProperties":false,
      "properties":{"url":{"type":"string"},"expectStatus":{"type":["integer","null"],
        "description":"null: any 2xx"}}},
    "SecretHealthCheckRequest": {"type":"object","required":["url"],"additionalProperties":false,
      "properties":{"url":{"type":"string","description":"an absolute URL among the secret's allowed hosts, fetched with GET and the secret injected"},
        "expectStatus":{"type":["integer","null"],"minimum":100,"maximum":599,
          "description":"the status that means healthy; default: any 2xx"}},
      "examples":[{"url":"https://api.github.com/user","expectStatus":200}]},
    "Secret": {"type":"object","additionalProperties":false,
      "required":["id","name","type","allowedHosts","baseUrl","masked","version","createdAt",
        "updatedAt","lastUsedAt","useCount","health","healthCheck"],
      "properties":{"id":{"type":"string"},"name":{"type":"string"},
        "type":{"enum":["API_KEY","BASIC_AUTH","COOKIE","CUSTOM_HEADER","QUERY_PARAM"]},
        "allowedHosts":{"type":"array","items":{"type":"string"}},
        "baseUrl":{"type":["string","null"]},
        "masked":{"type":"array","items":{"type":"object","required":["part","last4"],
          "additionalProperties":false,
          "properties":{"part":{"type":"string"},"last4":{"type":["string","null"]}}}},
        "param":{"type":"string","description":"QUERY_PARAM only: the query parameter's name"},
        "version":{"type":"integer"},"createdAt":{"type":"string","format":"date-time"},
        "updatedAt":{"type":"string","format":"date-time"},
        "lastUsedAt":{"type":["string","null"],"format":"date-time"},
        "useCount":{"type":"integer"},"health":{"$ref":"#/components/schemas/Health"},
        "healthCheck":{"oneOf":[{"type":"null"},{"$ref":"#/components/schemas/SecretHealthCheck"}]}},
      "examples":[{"id":"sec_4mq7v2kxd3bn5cfha6jt","name":"github",
        "type":"API_KEY","allowedHosts":["api.github.com"],"baseUrl":"https://api.github.com",
        "masked":[{"part":"value","last4":"x9Qa"}],"version":1,"createdAt":"2026-01-02T03:04:05Z",
        "updatedAt":"2026-01-02T03:04:05Z","lastUsedAt":null,"useCount":0,
        "health":{"status":"unknown","checkedAt":null,"lastError":null,"latencyMs":null},
        "healthCheck":{"url":"https://api.github.com/user","expectStatus":200}}]},
    "CreatedSecret": {"type":"object","additionalProperties":false,
      "required":["id","name","type","allowedHosts","baseUrl","masked","version","createdAt",
        "updatedAt","lastUsedAt","useCount","health","healthCheck"],
      "properties":{"id":{"type":"string"},"name":{"type":"string"},
        "type":{"enum":["API_KEY","BASIC_AUTH","COOKIE","CUSTOM_HEADER","QUERY_PARAM"]},
        "allowedHosts":{"type":"array","items":{"type":"string"}},
        "baseUrl":{"type":["string","null"]},
        "masked":{"type":"array","items":{"type":"object","required":["part","last4"],
          "additionalProperties":false,
          "properties":{"part":{"type":"string"},"last4":{"type":["string","null"]}}}},
        "param":{"type":"string","description":"QUERY_PARAM only: the query parameter's name"},
        "version":{"type":"integer"},"createdAt":{"type":"string","format":"date-time"},
        "updatedAt":{"type":"string","format":"date-time"},
        "lastUsedAt":{"type":["string","null"],"format":"date-time"},
        "useCount":{"type":"integer"},"health":{"$ref":"#/components/schemas/Health"},
        "healthCheck":{"oneOf":[{"type":"null"},{"$ref":"#/components/schemas/SecretHealthCheck"}]},
        "replayed":{"type":"boolean","description":"true on an Idempotency-Key replay"}},
      "examples":[{"id":"sec_4mq7v2kxd3bn5cfha6jt","name":"github",
        "type":"API_KEY","allowedHosts":["api.github.com"],"baseUrl":"https://api.github.com",
        "masked":[{"part":"value","last4":"x9Qa"}],"version":1,"createdAt":"2026-01-02T03:04:05Z",
        "updatedAt":"2026-01-02T03:04:05Z","lastUsedAt":null,"useCount":0,
        "health":{"status":"unknown","checkedAt":null,"lastError":null,"latencyMs":null},
        "healthCheck":{"url":"https://api.github.com/user","expectStatus":200}}]}
  })";

inline constexpr char kPutProviderKeysRequest[] =
    R"({"$ref":"#/components/schemas/PutProviderKeysRequest"})";
inline constexpr char kCredentialsSummary[] =
    R"({"$ref":"#/components/schemas/CredentialsSummary"})";
// The body of POST /secrets.
inline constexpr char kCreateSecretRequest[] =
    R"({"type":"object","required":["name","type","allowedHosts"],"additionalProperties":false,"properties":{"name":{"type":"string"},"type":{"enum":["API_KEY","BASIC_AUTH","COOKIE","CUSTOM_HEADER","QUERY_PARAM"]},"allowedHosts":{"type":"array","items":{"type":"string"}},"value":{"type":["string","null"],"description":"API_KEY, QUERY_PARAM"},"username":{"type":["string","null"],"description":"BASIC_AUTH"},"password":{"type":["string","null"],"description":"BASIC_AUTH"},"cookies":{"type":["string","null"],"description":"COOKIE"},"headers":{"type":["object","null"],"additionalProperties":{"type":"string"},"description":"CUSTOM_HEADER"},"param":{"type":["string","null"],"description":"QUERY_PARAM: the parameter's name"},"baseUrl":{"type":["string","null"],"description":"null removes it"},"healthCheck":{"oneOf":[{"type":"null"},{"$ref":"#/components/schemas/SecretHealthCheckRequest"}],"description":"GET url through the proxy with the secret injected; healthy on expectStatus (default any 2xx); null removes it"}},"examples":[{"name":"github","type":"API_KEY","value":"ghp_example0000000000000000000000x9Qa","allowedHosts":["api.github.com"],"baseUrl":"https://api.github.com","healthCheck":{"url":"https://api.github.com/user","expectStatus":200}}]})";
// The body of PUT /secrets/{name}: type defaults to the current one.
inline constexpr char kSecretWriteRequest[] =
    R"({"type":"object","additionalProperties":false,"properties":{"type":{"enum":["API_KEY","BASIC_AUTH","COOKIE","CUSTOM_HEADER","QUERY_PARAM"]},"allowedHosts":{"type":["array","null"],"items":{"type":"string"}},"value":{"type":["string","null"],"description":"API_KEY, QUERY_PARAM"},"username":{"type":["string","null"],"description":"BASIC_AUTH"},"password":{"type":["string","null"],"description":"BASIC_AUTH"},"cookies":{"type":["string","null"],"description":"COOKIE"},"headers":{"type":["object","null"],"additionalProperties":{"type":"string"},"description":"CUSTOM_HEADER"},"param":{"type":["string","null"],"description":"QUERY_PARAM: the parameter's name"},"baseUrl":{"type":["string","null"],"description":"null removes it"},"healthCheck":{"oneOf":[{"type":"null"},{"$ref":"#/components/schemas/SecretHealthCheckRequest"}],"description":"GET url through the proxy with the secret injected; healthy on expectStatus (default any 2xx); null removes it"}},"examples":[{"value":"ghp_example0000000000000000000000Zz01"}]})";
inline constexpr char kSecret[] = R"({"$ref":"#/components/schemas/Secret"})";
inline constexpr char kCreatedSecret[] = R"({"$ref":"#/components/schemas/CreatedSecret"})";
inline constexpr char kSecretList[] =
    LATCHKEY_LIST_SCHEMA(R"({"$ref":"#/components/schemas/Secret"})");
inline constexpr char kDeletedSecret[] =
    R"({"type":"object","required":["name","deleted"],"additionalProperties":false,"properties":{"name":{"type":"string"},"deleted":{"const":true}},"examples":[{"name":"github","deleted":true}]})";

}  // namespace latchkey::schemas
