package io.modelpool.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.modelpool.schemas.internal.BoundedCache;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SchemaRegistryClient} over the Confluent REST API with {@link java.net.http.HttpClient} and Jackson.
 *
 * <p>Retries: a call is retried on connection failures, timeouts, 5xx and 429 answers, at most
 * {@code max.retries} times, waiting {@code retries.wait.ms} doubled per attempt (with jitter, capped at
 * {@code retries.max.wait.ms}), and never past {@code schema.registry.request.deadline.ms} from the first
 * attempt. Each retry goes to the next configured URL.
 *
 * <p>Unknown ids: an id the registry answers as not found (error 40403) is remembered for
 * {@code missing.id.cache.ttl.sec} in a Caffeine cache of at most {@code missing.cache.size} ids, and asked for
 * again only once it has expired, so repeated records with the same unknown id cost one call per TTL.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, "
                    + "application/json; qs=0.5";
    /** Answers larger than this are not read: no Avro schema in a registry comes close. */
    static final int MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

    private static final int ERROR_TEXT_LIMIT = 300;

    private final SchemaRegistryClientConfig config;
    private final List<URI> urls;
    private final HttpClient http;
    private final Optional<String> authorization;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger preferredUrl = new AtomicInteger();
    private volatile boolean closed;

    private final BoundedCache<Integer, Schema> schemasById;
    private final BoundedCache<SubjectSchema, Integer> registeredIds;
    private final BoundedCache<SubjectSchema, RegisteredSchema> lookups;
    private final BoundedCache<SubjectVersion, RegisteredSchema> versions;
    private final BoundedCache<String, TimedVersion> latest;
    /** Ids the registry answered as not found, with that answer. */
    private final Cache<Integer, RegistryErrorException> missingIds;

    private record SubjectSchema(String subject, Schema schema) {}

    private record SubjectVersion(String subject, int version) {}

    private record TimedVersion(RegisteredSchema version, long fetchedAtNanos) {}

    public RestSchemaRegistryClient(SchemaRegistryClientConfig config) {
        this(config, Ticker.systemTicker());
    }

    /** With the clock that expires unknown ids ({@code missing.id.cache.ttl.sec}); tests pass a manual one. */
    RestSchemaRegistryClient(SchemaRegistryClientConfig config, Ticker ticker) {
        this.config = config;
        this.urls = config.urls();
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (urls.stream().anyMatch(u -> u.getScheme().equals("https"))) {
            builder.sslContext(sslContext(config));
        }
        this.http = builder.build();
        this.authorization = config.basicAuthUserInfo()
                .map(info -> "Basic " + Base64.getEncoder().encodeToString(info.getBytes(StandardCharsets.UTF_8)));
        int capacity = config.cacheCapacity();
        this.schemasById = new BoundedCache<>(capacity);
        this.registeredIds = new BoundedCache<>(capacity);
        this.lookups = new BoundedCache<>(capacity);
        this.versions = new BoundedCache<>(capacity);
        this.latest = new BoundedCache<>(capacity);
        this.missingIds = Caffeine.newBuilder()
                .expireAfterWrite(config.missingIdCacheTtl())
                .maximumSize(config.missingCacheSize())
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** Builds a client from Confluent-style properties; see {@link SchemaRegistryClientConfig}. */
    public static RestSchemaRegistryClient fromConfigs(Map<String, ?> configs) {
        return new RestSchemaRegistryClient(new SchemaRegistryClientConfig(configs));
    }

    /** The {@code Authorization} header value this client sends, if credentials are configured. */
    Optional<String> authorizationHeader() {
        return authorization;
    }

    @Override
    public int register(String subject, Schema schema) {
        return registeredIds.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = call(
                    "POST",
                    "/subjects/" + encode(subject) + "/versions",
                    schemaBody(schema),
                    "registering a schema under subject '" + subject + "'");
            int id = requiredInt(answer, "id", "register " + subject);
            schemasById.put(id, schema);
            LOG.info("Schema {} is id {} under subject '{}'", schema.getFullName(), id, subject);
            return id;
        });
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        return lookups.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode answer = call(
                    "POST",
                    "/subjects/" + encode(subject),
                    schemaBody(schema),
                    "looking up a schema under subject '" + subject + "'");
            RegisteredSchema found = new RegisteredSchema(
                    subject,
                    requiredInt(answer, "version", "lookup " + subject),
                    requiredInt(answer, "id", "lookup " + subject),
                    schema);
            schemasById.put(found.id(), schema);
            return found;
        });
    }

    @Override
    public Schema schemaById(int id) {
        RegistryErrorException missing = missingIds.getIfPresent(id);
        if (missing != null) {
            throw new RegistryErrorException(
                    missing.getMessage() + " (remembered for up to "
                            + config.missingIdCacheTtl().toSeconds() + " s)",
                    missing.httpStatus(),
                    missing.errorCode(),
                    missing.registryMessage());
        }
        try {
            return schemasById.computeIfAbsent(id, key -> {
                JsonNode answer = call("GET", "/schemas/ids/" + id, null, "fetching schema id " + id);
                return parseSchema(answer, "schema id " + id);
            });
        } catch (RegistryErrorException e) {
            // Only the registry's own "schema not found" is remembered: a bare 404 from a proxy or a wrong base URL
            // says nothing about the id.
            if (e.errorCode() == RegistryErrorException.SCHEMA_NOT_FOUND) {
                missingIds.put(id, e);
            }
            throw e;
        }
    }

    @Override
    public boolean answersFromCache(int id) {
        return schemasById.get(id) != null || missingIds.getIfPresent(id) != null;
    }

    /** Unknown ids remembered now (expired ones dropped first), for tests of the bound. */
    long missingIdsCached() {
        missingIds.cleanUp();
        return missingIds.estimatedSize();
    }

    @Override
    public RegisteredSchema latestVersion(String subject) {
        Optional<Duration> ttl = config.latestCacheTtl();
        TimedVersion cached = latest.get(subject);
        long now = System.nanoTime();
        if (cached != null
                && (ttl.isEmpty() || now - cached.fetchedAtNanos() < ttl.get().toNanos())) {
            return cached.version();
        }
        RegisteredSchema fetched = fetchVersion(subject, "latest");
        if (ttl.isEmpty() || !ttl.get().isZero()) {
            latest.put(subject, new TimedVersion(fetched, now));
        }
        return fetched;
    }

    @Override
    public RegisteredSchema version(String subject, int version) {
        return versions.computeIfAbsent(
                new SubjectVersion(subject, version), key -> fetchVersion(subject, Integer.toString(version)));
    }

    /**
     * Marks the client closed: later calls that need the registry fail with {@link IllegalStateException}.
     * Java 17's {@link HttpClient} has no close(); its idle connections are released when it is collected.
     */
    @Override
    public void close() {
        closed = true;
    }

    private RegisteredSchema fetchVersion(String subject, String version) {
        JsonNode answer = call(
                "GET",
                "/subjects/" + encode(subject) + "/versions/" + version,
                null,
                "fetching version " + version + " of subject '" + subject + "'");
        String what = "version " + version + " of subject '" + subject + "'";
        RegisteredSchema found = new RegisteredSchema(
                subject,
                requiredInt(answer, "version", what),
                requiredInt(answer, "id", what),
                parseSchema(answer, what));
        Schema known = schemasById.get(found.id());
        if (known == null) {
            schemasById.put(found.id(), found.schema());
        }
        return found;
    }

    private Schema parseSchema(JsonNode answer, String what) {
        JsonNode type = answer.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
            throw new NotAvroSchemaException(what + " is a " + type.asText() + " schema, not Avro", null);
        }
        JsonNode references = answer.get("references");
        if (references != null && references.isArray() && references.size() > 0) {
            throw new NotAvroSchemaException(
                    what + " uses schema references, which this client does not resolve", null);
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw new NotAvroSchemaException("the registry's answer for " + what + " has no schema text", null);
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (RuntimeException e) {
            throw new NotAvroSchemaException(what + " does not parse as an Avro schema: " + e.getMessage(), e);
        }
    }

    private String schemaBody(Schema schema) {
        ObjectNode body = json.createObjectNode();
        body.put("schema", schema.toString());
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON body for schema " + schema.getFullName(), e);
        }
    }

    private JsonNode call(String method, String path, String body, String what) {
        if (closed) {
            throw new IllegalStateException("schema registry client is closed; cannot go on " + what);
        }
        long startNanos = System.nanoTime();
        long deadlineNanos = startNanos + config.requestDeadline().toNanos();
        int attempts = 0;
        String lastProblem = "no attempt made";
        Throwable lastFailure = null;
        while (true) {
            int urlIndex = Math.floorMod(preferredUrl.get(), urls.size());
            URI base = urls.get(urlIndex);
            attempts++;
            try {
                HttpResponse<InputStream> response = http.send(
                        request(base, method, path, body, deadlineNanos), HttpResponse.BodyHandlers.ofInputStream());
                byte[] bytes = readBounded(response.body(), base);
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return parseJson(bytes, base, what);
                }
                if (status >= 500 || status == 408 || status == 429) {
                    lastProblem = base + " answered HTTP " + status + ": " + errorText(bytes);
                    lastFailure = null;
                } else {
                    throw refusal(status, bytes, base, what);
                }
            } catch (IOException e) {
                lastProblem = base + ": " + describe(e);
                lastFailure = e;
            } catch (InterruptedException e) {
                throw new InterruptException("interrupted while " + what, e);
            }
            preferredUrl.compareAndSet(urlIndex, urlIndex + 1);
            if (attempts > config.maxRetries()) {
                break;
            }
            long waitMs = backoffMillis(attempts);
            if (System.nanoTime() + Duration.ofMillis(waitMs).toNanos() >= deadlineNanos) {
                break;
            }
            LOG.debug(
                    "Schema registry call failed ({}), retry {} of {} in {} ms: {}",
                    what,
                    attempts,
                    config.maxRetries(),
                    waitMs,
                    lastProblem);
            pause(waitMs, what);
        }
        long elapsedMs = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        throw new RegistryUnreachableException(
                "schema registry unavailable while " + what + " (" + attempts + " attempts in " + elapsedMs + " ms): "
                        + lastProblem,
                attempts,
                lastFailure);
    }

    private HttpRequest request(URI base, String method, String path, String body, long deadlineNanos) {
        long remaining =
                Math.max(1, Duration.ofNanos(deadlineNanos - System.nanoTime()).toMillis());
        Duration timeout =
                config.readTimeout().toMillis() < remaining ? config.readTimeout() : Duration.ofMillis(remaining);
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).header("Accept", ACCEPT);
        authorization.ifPresent(value -> builder.header("Authorization", value));
        if (body == null) {
            builder.GET();
        } else {
            builder.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    private long backoffMillis(int attempt) {
        long base = config.retryWait().toMillis();
        long cap = config.retryMaxWait().toMillis();
        long exponential = base << Math.min(attempt - 1, 20);
        long bounded = Math.min(cap, exponential);
        // Equal jitter: half fixed, half random, so a fleet restarted together does not retry in lockstep.
        long half = bounded / 2;
        return half + (half > 0 ? ThreadLocalRandom.current().nextLong(half + 1) : 0);
    }

    private static void pause(long millis, String what) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new InterruptException("interrupted while waiting to retry " + what, e);
        }
    }

    private static byte[] readBounded(InputStream in, URI base) throws IOException {
        try (in) {
            byte[] bytes = in.readNBytes(MAX_RESPONSE_BYTES + 1);
            if (bytes.length > MAX_RESPONSE_BYTES) {
                throw new IOException(base + " sent an answer larger than " + MAX_RESPONSE_BYTES + " bytes");
            }
            return bytes;
        }
    }

    private JsonNode parseJson(byte[] bytes, URI base, String what) {
        try {
            return json.readTree(bytes);
        } catch (IOException e) {
            throw new RegistryErrorException(
                    "the schema registry at " + base + " sent an answer that is not JSON while " + what + ": "
                            + errorText(bytes),
                    200,
                    200,
                    errorText(bytes));
        }
    }

    private RegistryErrorException refusal(int status, byte[] bytes, URI base, String what) {
        int code = status;
        String message = errorText(bytes);
        try {
            JsonNode node = json.readTree(bytes);
            if (node != null && node.has("error_code")) {
                code = node.get("error_code").asInt(status);
            }
            if (node != null && node.hasNonNull("message")) {
                message = node.get("message").asText();
            }
        } catch (IOException e) {
            // Proxies answer with HTML; the status and the start of the body are all we have.
            message = errorText(bytes);
        }
        return new RegistryErrorException(
                "schema registry " + base + " refused " + what + ": HTTP " + status + ", error code " + code + ": "
                        + message,
                status,
                code,
                message);
    }

    private static String errorText(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        return text.length() > ERROR_TEXT_LIMIT ? text.substring(0, ERROR_TEXT_LIMIT) + "..." : text;
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static int requiredInt(JsonNode answer, String field, String what) {
        JsonNode value = answer == null ? null : answer.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new RegistryErrorException(
                    "the schema registry's answer to " + what + " has no integer '" + field + "': " + answer,
                    200,
                    200,
                    String.valueOf(answer));
        }
        return value.asInt();
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static SSLContext sslContext(SchemaRegistryClientConfig config) {
        try {
            TrustManagerFactory trust = null;
            String trustLocation = config.getString(SchemaRegistryClientConfig.SSL_TRUSTSTORE_LOCATION);
            if (trustLocation != null) {
                KeyStore store = loadStore(
                        SchemaRegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                        trustLocation,
                        config.getString(SchemaRegistryClientConfig.SSL_TRUSTSTORE_TYPE),
                        config.getPassword(SchemaRegistryClientConfig.SSL_TRUSTSTORE_PASSWORD));
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(store);
            }
            KeyManagerFactory keys = null;
            String keyLocation = config.getString(SchemaRegistryClientConfig.SSL_KEYSTORE_LOCATION);
            if (keyLocation != null) {
                Password storePassword = config.getPassword(SchemaRegistryClientConfig.SSL_KEYSTORE_PASSWORD);
                KeyStore store = loadStore(
                        SchemaRegistryClientConfig.SSL_KEYSTORE_LOCATION,
                        keyLocation,
                        config.getString(SchemaRegistryClientConfig.SSL_KEYSTORE_TYPE),
                        storePassword);
                Password keyPassword = config.getPassword(SchemaRegistryClientConfig.SSL_KEY_PASSWORD);
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(
                        store,
                        (keyPassword != null ? keyPassword : storePassword)
                                .value()
                                .toCharArray());
            }
            SSLContext context = SSLContext.getInstance(config.getString(SchemaRegistryClientConfig.SSL_PROTOCOL));
            context.init(
                    keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new ConfigException("Cannot build the TLS context for the schema registry: " + e.getMessage());
        }
    }

    private static KeyStore loadStore(String key, String location, String type, Password password)
            throws GeneralSecurityException {
        Path path = Path.of(location);
        if (!Files.isReadable(path)) {
            throw new ConfigException(key, location, "no readable file at this path");
        }
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, password == null ? null : password.value().toCharArray());
        } catch (IOException e) {
            throw new ConfigException(key, location, "cannot load the " + type + " store: " + e.getMessage());
        }
        return store;
    }
}
