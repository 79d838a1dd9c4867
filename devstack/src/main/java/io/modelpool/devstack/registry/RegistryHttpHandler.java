package io.modelpool.devstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.modelpool.devstack.registry.RegistryService.CompatibilityResult;
import io.modelpool.devstack.registry.RegistryState.Version;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confluent Schema Registry's REST API (the part Avro serializers and tools call) over {@link RegistryService}.
 *
 * <p>Answers use Confluent's JSON shapes and content type {@value #CONTENT_TYPE}; errors are
 * {@code {"error_code": N, "message": "..."}}. Request bodies may be sent as that type or as plain
 * {@code application/json}; they are limited to {@value #MAX_BODY_BYTES} bytes. Path segments are
 * URL-decoded, so subjects may hold any character.
 *
 * <p>Called on the HTTP server's executor threads; it holds no state of its own.
 */
final class RegistryHttpHandler implements HttpHandler {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(RegistryHttpHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryService service;

    RegistryHttpHandler(RegistryService service) {
        this.service = service;
    }

    /** A status and either a JSON value or, for the raw-schema endpoints, the schema text itself. */
    private record Response(int status, Object json, String raw) {
        static Response ok(Object json) {
            return new Response(200, json, null);
        }

        static Response rawSchema(String schema) {
            return new Response(200, null, schema);
        }
    }

    private record Request(String method, List<String> path, Map<String, String> query, HttpExchange exchange) {
        boolean flag(String name) {
            return Boolean.parseBoolean(query.getOrDefault(name, "false"));
        }

        String segment(int i) {
            return path.get(i);
        }

        JsonNode body() {
            byte[] bytes;
            try (InputStream in = exchange.getRequestBody()) {
                bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            } catch (IOException e) {
                throw RegistryException.badRequest("cannot read request body: " + e.getMessage());
            }
            if (bytes.length > MAX_BODY_BYTES) {
                throw RegistryException.payloadTooLarge(MAX_BODY_BYTES);
            }
            try {
                JsonNode node = JSON.readTree(bytes);
                if (node == null || !node.isObject()) {
                    throw RegistryException.badRequest("request body must be a JSON object");
                }
                return node;
            } catch (IOException e) {
                throw RegistryException.badRequest("request body is not JSON: " + e.getMessage());
            }
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        Response response;
        String method = exchange.getRequestMethod();
        String rawPath = exchange.getRequestURI().getRawPath();
        try {
            response = route(new Request(
                    method, segments(rawPath), query(exchange.getRequestURI().getRawQuery()), exchange));
        } catch (RegistryException e) {
            if (e.errorCode() == 50001) {
                log.warn("{} {} failed: {}", method, rawPath, e.getMessage());
            }
            response = error(e.httpStatus(), e.errorCode(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("{} {} failed unexpectedly", method, rawPath, e);
            response = error(500, 500, "Internal Server Error: " + e);
        }
        write(exchange, response);
    }

    private Response route(Request r) {
        List<String> p = r.path();
        String method = r.method();
        int n = p.size();
        if (n == 0) {
            return only("GET", r, () -> Response.ok(Map.of()));
        }
        switch (p.get(0)) {
            case "subjects":
                if (n == 1) {
                    return only("GET", r, () -> Response.ok(service.subjects(r.flag("deleted"))));
                }
                if (n == 2) {
                    if (method.equals("POST")) {
                        Version v = service.lookup(r.segment(1), schemaText(r.body()), r.flag("deleted"));
                        return Response.ok(version(v));
                    }
                    return only(
                            "DELETE", r, () -> Response.ok(service.deleteSubject(r.segment(1), r.flag("permanent"))));
                }
                if (!p.get(2).equals("versions")) {
                    break;
                }
                if (n == 3) {
                    if (method.equals("POST")) {
                        int id = service.register(r.segment(1), registrationSchema(r.body()));
                        return Response.ok(Map.of("id", id));
                    }
                    return only("GET", r, () -> Response.ok(service.versions(r.segment(1), r.flag("deleted"))));
                }
                if (n == 4) {
                    if (method.equals("DELETE")) {
                        return Response.ok(service.deleteVersion(r.segment(1), r.segment(3), r.flag("permanent")));
                    }
                    return only(
                            "GET",
                            r,
                            () -> Response.ok(version(service.version(r.segment(1), r.segment(3), r.flag("deleted")))));
                }
                if (n == 5 && p.get(4).equals("schema")) {
                    return only(
                            "GET",
                            r,
                            () -> Response.rawSchema(service.version(r.segment(1), r.segment(3), r.flag("deleted"))
                                    .schema()));
                }
                if (n == 5 && p.get(4).equals("referencedby")) {
                    // Schema references are not supported, so nothing can refer to a version; 404s still apply.
                    return only("GET", r, () -> {
                        service.version(r.segment(1), r.segment(3), true);
                        return Response.ok(List.of());
                    });
                }
                break;
            case "schemas":
                if (n == 2 && p.get(1).equals("types")) {
                    return only("GET", r, () -> Response.ok(List.of("AVRO")));
                }
                if (n >= 3 && p.get(1).equals("ids")) {
                    int id = schemaId(p.get(2), r);
                    if (n == 3) {
                        return only("GET", r, () -> Response.ok(Map.of("schema", service.schema(id))));
                    }
                    if (n == 4 && p.get(3).equals("schema")) {
                        return only("GET", r, () -> Response.rawSchema(service.schema(id)));
                    }
                    if (n == 4 && p.get(3).equals("versions")) {
                        return only("GET", r, () -> Response.ok(service.usesOf(id, r.flag("deleted"))));
                    }
                    if (n == 4 && p.get(3).equals("subjects")) {
                        return only(
                                "GET",
                                r,
                                () -> Response.ok(service.usesOf(id, r.flag("deleted")).stream()
                                        .map(RegistryService.SubjectVersion::subject)
                                        .distinct()
                                        .toList()));
                    }
                }
                break;
            case "config":
                if (n == 1) {
                    if (method.equals("PUT")) {
                        CompatibilityLevel level = compatibilityOf(r.body());
                        service.setLevel(null, level);
                        return Response.ok(Map.of("compatibility", level.name()));
                    }
                    return only(
                            "GET",
                            r,
                            () -> Response.ok(Map.of(
                                    "compatibilityLevel", service.globalLevel().name())));
                }
                if (n == 2) {
                    String subject = r.segment(1);
                    if (method.equals("PUT")) {
                        CompatibilityLevel level = compatibilityOf(r.body());
                        service.setLevel(subject, level);
                        return Response.ok(Map.of("compatibility", level.name()));
                    }
                    if (method.equals("DELETE")) {
                        return Response.ok(Map.of(
                                "compatibilityLevel",
                                service.clearLevel(subject).name()));
                    }
                    return only(
                            "GET",
                            r,
                            () -> Response.ok(Map.of(
                                    "compatibilityLevel",
                                    service.subjectLevel(subject, r.flag("defaultToGlobal"))
                                            .name())));
                }
                break;
            case "compatibility":
                if ((n == 4 || n == 5)
                        && p.get(1).equals("subjects")
                        && p.get(3).equals("versions")) {
                    return only("POST", r, () -> {
                        String versionSpec = n == 5 ? r.segment(4) : null;
                        CompatibilityResult result =
                                service.checkCompatibility(r.segment(2), versionSpec, registrationSchema(r.body()));
                        Map<String, Object> answer = new LinkedHashMap<>();
                        answer.put("is_compatible", result.compatible());
                        if (r.flag("verbose")) {
                            answer.put("messages", result.messages());
                        }
                        return Response.ok(answer);
                    });
                }
                break;
            default:
                break;
        }
        throw RegistryException.notFound(r.exchange().getRequestURI().getRawPath());
    }

    private interface Action {
        Response run();
    }

    private static Response only(String method, Request r, Action action) {
        if (!r.method().equals(method)) {
            throw RegistryException.methodNotAllowed(
                    r.method(), r.exchange().getRequestURI().getRawPath());
        }
        return action.run();
    }

    private static Map<String, Object> version(Version v) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("subject", v.subject());
        answer.put("version", v.version());
        answer.put("id", v.id());
        answer.put("schema", v.schema());
        return answer;
    }

    /** The schema of a register or compatibility body; only Avro without references is accepted. */
    private static String registrationSchema(JsonNode body) {
        JsonNode type = body.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equals(type.asText())) {
            throw RegistryException.invalidSchema(
                    "schemaType " + type.asText() + " is not supported; this registry holds AVRO schemas only");
        }
        JsonNode references = body.get("references");
        if (references != null && references.isArray() && !references.isEmpty()) {
            throw RegistryException.invalidSchema("schema references are not supported by this registry");
        }
        JsonNode id = body.get("id");
        if (id != null && !id.isNull() && id.asInt(-1) > 0) {
            throw RegistryException.operationNotPermitted(
                    "Registering a schema with a given id needs IMPORT mode, which this registry does not have");
        }
        return schemaText(body);
    }

    private static String schemaText(JsonNode body) {
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw RegistryException.invalidSchema("request body has no \"schema\" string");
        }
        return schema.asText();
    }

    private static CompatibilityLevel compatibilityOf(JsonNode body) {
        JsonNode level = body.has("compatibility") ? body.get("compatibility") : body.get("compatibilityLevel");
        return CompatibilityLevel.parse(level == null || level.isNull() ? null : level.asText());
    }

    private static int schemaId(String text, Request r) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw RegistryException.notFound(r.exchange().getRequestURI().getRawPath());
        }
    }

    private static Response error(int status, int errorCode, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error_code", errorCode);
        body.put("message", message);
        return new Response(status, body, null);
    }

    private static void write(HttpExchange exchange, Response response) throws IOException {
        byte[] bytes = response.raw() != null
                ? response.raw().getBytes(StandardCharsets.UTF_8)
                : JSON.writeValueAsBytes(response.json());
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(response.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String raw : rawPath.split("/")) {
            if (!raw.isEmpty()) {
                segments.add(decode(raw));
            }
        }
        return segments;
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> query = new HashMap<>();
        if (rawQuery == null) {
            return query;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                query.put(decode(pair), "true");
            } else {
                query.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
            }
        }
        return query;
    }

    private static String decode(String text) {
        // URLDecoder is for forms, where '+' means space; in a path or query sent by a registry client it does not.
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw RegistryException.badRequest("malformed URL encoding in '" + text + "'");
        }
    }
}
