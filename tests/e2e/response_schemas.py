"""Checks latchkeyd's responses against its own /openapi.json: the operation
of a method and path (a `{x}` template segment is one path segment, a last
`{x...}` the rest of the path, literal segments win, as in api/router.h),
the response of the status (else `default`), validated with JSON Schema
draft 2020-12, `$ref`s resolved into the document's components.

server.Server.request runs every JSON answer through one of these, so that
the end-to-end suites fail when the document drifts from what the server
sends."""
import json
import re
import urllib.parse

import jsonschema

# Routes whose bodies are someone else's: the proxy forwards the upstream's
# (/v1/proxy, and /proxy/... where the OpenAI and Anthropic SDKs point), MCP
# speaks JSON-RPC, and dev mode's stand-in providers speak their dialects.
SKIPPED = re.compile(r"^/(v1/proxy$|proxy/|mcp$|dev/)")


class SchemaMismatch(AssertionError):
    pass


class ResponseSchemas:
    def __init__(self, doc):
        self.doc = doc
        self.components = doc.get("components", {})
        self.templates = [(path, path.strip("/").split("/")) for path in doc["paths"]]

    def find(self, method, path):
        """(template, operation) of `method` `path`, or None."""
        segments = urllib.parse.urlsplit(path).path.strip("/").split("/")
        best = None
        for template, parts in self.templates:
            score = self._fit(parts, segments)
            if score is None:
                continue
            op = self.doc["paths"][template].get(method.lower())
            if method.upper() == "HEAD":
                op = op or self.doc["paths"][template].get("get")
            if op is not None and (best is None or score > best[0]):
                best = (score, template, op)
        return best[1:] if best else None

    @staticmethod
    def _fit(parts, segments):
        """The number of literal segments when `segments` fit `parts`."""
        literal = 0
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("...}"):
                return literal if i < len(segments) else None
            if i >= len(segments):
                return None
            if part.startswith("{") and part.endswith("}"):
                if not segments[i]:
                    return None
            elif part != segments[i]:
                return None
            else:
                literal += 1
        return literal if len(parts) == len(segments) else None

    def schema_of(self, method, path, status):
        """(template, JSON Schema) of the answer, or None when there is nothing to check."""
        if SKIPPED.match(urllib.parse.urlsplit(path).path):
            return None
        found = self.find(method, path)
        if not found:
            return None  # 404/405 for a route that does not exist: checked by the tests
        template, op = found
        responses = op.get("responses", {})
        response = responses.get(str(status), responses.get("default"))
        if response is None:
            raise SchemaMismatch("%s %s answered %s, which %s %s does not document (it lists %s)"
                                 % (method, path, status, method, template,
                                    ", ".join(sorted(responses))))
        response = self._resolve(response)
        content = response.get("content")
        if not content:
            return None
        media = content.get("application/json") or next(iter(content.values()))
        return template, media.get("schema")

    def _resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def validate_schema(self, schema, body):
        """Raises jsonschema.ValidationError when `body` does not fit `schema`."""
        root = dict(schema)
        root["components"] = self.components  # for "#/components/..." refs
        jsonschema.Draft202012Validator(root).validate(body)

    def check(self, method, path, status, body):
        """Raises SchemaMismatch when the JSON `body` answered to `method`
        `path` with `status` does not fit what the document says."""
        found = self.schema_of(method, path, status)
        if not found or found[1] is None:
            return
        template, schema = found
        try:
            self.validate_schema(schema, body)
        except jsonschema.ValidationError as e:
            where = "/".join(str(p) for p in e.absolute_path) or "(the body)"
            raise SchemaMismatch(
                "%s %s -> %s does not match /openapi.json's %s %s: at %s: %s\nbody: %s"
                % (method, path, status, method, template, where, e.message,
                   json.dumps(body)[:2000])) from None
