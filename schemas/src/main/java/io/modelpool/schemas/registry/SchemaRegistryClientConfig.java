package io.modelpool.schemas.registry;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The schema-registry client's settings, declared once with type, default, validator and documentation. Key
 * names are Confluent's, so properties written for Confluent's serializers work unchanged; keys the client
 * does not know are ignored (a Kafka client hands its whole configuration to its serializers).
 *
 * <p>Every value is checked when the config is built: a bad value throws a {@link ConfigException} that names
 * the key, the value and what is allowed, before any connection is attempted.
 */
public class SchemaRegistryClientConfig extends AbstractConfig {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";
    public static final String SSL_PROTOCOL = "schema.registry.ssl.protocol";
    public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
    public static final String MAX_RETRIES = "max.retries";
    public static final String RETRIES_WAIT_MS = "retries.wait.ms";
    public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";
    public static final String REQUEST_DEADLINE_MS = "schema.registry.request.deadline.ms";
    public static final String MAX_SCHEMAS_PER_SUBJECT = "max.schemas.per.subject";
    public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";
    public static final String MISSING_ID_CACHE_TTL_SEC = "missing.id.cache.ttl.sec";
    public static final String MISSING_CACHE_SIZE = "missing.cache.size";

    /** How credentials reach the registry. */
    public enum CredentialsSource {
        /** {@code basic.auth.user.info=user:password}. */
        USER_INFO,
        /** The user info part of {@code schema.registry.url}, {@code https://user:password@host}. */
        URL
    }

    private static final ConfigDef CONFIG = define(new ConfigDef());

    private final List<URI> urls;
    private final Optional<String> userInfo;

    public SchemaRegistryClientConfig(Map<String, ?> originals) {
        this(CONFIG, originals);
    }

    /** For configs that extend {@link #configDef()} with keys of their own. */
    protected SchemaRegistryClientConfig(ConfigDef definition, Map<String, ?> originals) {
        super(definition, originals, false);
        List<URI> parsed = new ArrayList<>();
        String urlUserInfo = null;
        for (String url : getList(SCHEMA_REGISTRY_URL)) {
            URI uri = parseUrl(url);
            if (uri.getUserInfo() != null) {
                urlUserInfo = uri.getUserInfo();
            }
            parsed.add(withoutUserInfo(uri));
        }
        if (parsed.isEmpty()) {
            throw new ConfigException(
                    SCHEMA_REGISTRY_URL,
                    getList(SCHEMA_REGISTRY_URL),
                    "at least one registry URL is required, for example http://localhost:8081");
        }
        this.urls = List.copyOf(parsed);
        this.userInfo = resolveUserInfo(urlUserInfo);
        if (getInt(RETRIES_MAX_WAIT_MS) < getInt(RETRIES_WAIT_MS)) {
            throw new ConfigException(
                    RETRIES_MAX_WAIT_MS,
                    getInt(RETRIES_MAX_WAIT_MS),
                    "must be at least " + RETRIES_WAIT_MS + " (" + getInt(RETRIES_WAIT_MS) + ")");
        }
        if (getString(SSL_KEYSTORE_LOCATION) != null && getPassword(SSL_KEYSTORE_PASSWORD) == null) {
            throw new ConfigException(
                    SSL_KEYSTORE_PASSWORD, null, "a password is required when " + SSL_KEYSTORE_LOCATION + " is set");
        }
    }

    /** A copy of the declarations, for configs that add keys of their own. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    /** The registry base URLs without credentials; failed calls move on to the next one. */
    public List<URI> urls() {
        return urls;
    }

    /** {@code user:password} for basic auth, from the source {@code basic.auth.credentials.source} names. */
    public Optional<String> basicAuthUserInfo() {
        return userInfo;
    }

    public Duration connectTimeout() {
        return Duration.ofMillis(getInt(HTTP_CONNECT_TIMEOUT_MS));
    }

    public Duration readTimeout() {
        return Duration.ofMillis(getInt(HTTP_READ_TIMEOUT_MS));
    }

    public int maxRetries() {
        return getInt(MAX_RETRIES);
    }

    public Duration retryWait() {
        return Duration.ofMillis(getInt(RETRIES_WAIT_MS));
    }

    public Duration retryMaxWait() {
        return Duration.ofMillis(getInt(RETRIES_MAX_WAIT_MS));
    }

    public Duration requestDeadline() {
        return Duration.ofMillis(getLong(REQUEST_DEADLINE_MS));
    }

    public int cacheCapacity() {
        return getInt(MAX_SCHEMAS_PER_SUBJECT);
    }

    /** How long the latest version of a subject is cached; empty means until the client is closed. */
    public Optional<Duration> latestCacheTtl() {
        long seconds = getLong(LATEST_CACHE_TTL_SEC);
        return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
    }

    /** How long an id the registry said it does not know is answered as unknown without asking again. */
    public Duration missingIdCacheTtl() {
        return Duration.ofSeconds(getLong(MISSING_ID_CACHE_TTL_SEC));
    }

    /** How many unknown ids are remembered at most. */
    public int missingCacheSize() {
        return getInt(MISSING_CACHE_SIZE);
    }

    private Optional<String> resolveUserInfo(String urlUserInfo) {
        CredentialsSource source = CredentialsSource.valueOf(getString(BASIC_AUTH_CREDENTIALS_SOURCE));
        switch (source) {
            case URL:
                return Optional.ofNullable(urlUserInfo);
            case USER_INFO:
                Password info = getPassword(BASIC_AUTH_USER_INFO);
                if (info == null) {
                    info = getPassword(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO);
                }
                if (info == null || info.value().indexOf(':') < 0) {
                    throw new ConfigException(
                            BASIC_AUTH_USER_INFO,
                            info == null ? null : "[hidden]",
                            "must be user:password when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO");
                }
                return Optional.of(info.value());
            default:
                throw new IllegalStateException("unhandled credentials source " + source);
        }
    }

    private static URI parseUrl(String url) {
        try {
            URI uri = new URI(url.trim());
            String scheme = uri.getScheme();
            if (uri.getHost() == null
                    || scheme == null
                    || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                throw new ConfigException(SCHEMA_REGISTRY_URL, url, "expected http://host:port or https://host:port");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(SCHEMA_REGISTRY_URL, url, "not a URL: " + e.getMessage());
        }
    }

    private static URI withoutUserInfo(URI uri) {
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        return URI.create(uri.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + uri.getHost() + port + path);
    }

    private static ConfigDef define(ConfigDef def) {
        return def.define(
                        SCHEMA_REGISTRY_URL,
                        Type.LIST,
                        ConfigDef.NO_DEFAULT_VALUE,
                        Importance.HIGH,
                        "Comma-separated registry base URLs (http or https). A failed call moves on to the next URL. "
                                + "Credentials may be given as user info (https://user:password@host) with "
                                + BASIC_AUTH_CREDENTIALS_SOURCE + "=URL.")
                .define(
                        BASIC_AUTH_CREDENTIALS_SOURCE,
                        Type.STRING,
                        "URL",
                        ValidString.in("URL", "USER_INFO"),
                        Importance.MEDIUM,
                        "Where basic-auth credentials come from: USER_INFO (" + BASIC_AUTH_USER_INFO + ") or URL "
                                + "(the user info of " + SCHEMA_REGISTRY_URL + "; no credentials when it has none).")
                .define(
                        BASIC_AUTH_USER_INFO,
                        Type.PASSWORD,
                        null,
                        Importance.MEDIUM,
                        "user:password for basic auth when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO.")
                .define(
                        SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO,
                        Type.PASSWORD,
                        null,
                        Importance.LOW,
                        "Older name of " + BASIC_AUTH_USER_INFO + ", used when that key is absent.")
                .define(
                        SSL_TRUSTSTORE_LOCATION,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "Trust store for https registry URLs; the JVM's default trust store when unset.")
                .define(SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Trust store password.")
                .define(SSL_TRUSTSTORE_TYPE, Type.STRING, "JKS", Importance.LOW, "Trust store type: JKS or PKCS12.")
                .define(
                        SSL_KEYSTORE_LOCATION,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "Key store holding the client certificate, for registries that require mutual TLS.")
                .define(SSL_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Key store password.")
                .define(SSL_KEYSTORE_TYPE, Type.STRING, "JKS", Importance.LOW, "Key store type: JKS or PKCS12.")
                .define(
                        SSL_KEY_PASSWORD,
                        Type.PASSWORD,
                        null,
                        Importance.LOW,
                        "Password of the private key in the key store; the key store password when unset.")
                .define(SSL_PROTOCOL, Type.STRING, "TLSv1.3", Importance.LOW, "TLS protocol for the SSL context.")
                .define(
                        HTTP_CONNECT_TIMEOUT_MS,
                        Type.INT,
                        10_000,
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        "Timeout for opening a connection to the registry.")
                .define(
                        HTTP_READ_TIMEOUT_MS,
                        Type.INT,
                        10_000,
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        "Timeout for one HTTP exchange with the registry, from sending the request to the whole answer.")
                .define(
                        MAX_RETRIES,
                        Type.INT,
                        3,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        "Retries after a connection failure, timeout, 5xx or 429 answer; 0 makes one attempt only.")
                .define(
                        RETRIES_WAIT_MS,
                        Type.INT,
                        100,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        "Wait before the first retry; each further retry waits twice as long (with jitter).")
                .define(
                        RETRIES_MAX_WAIT_MS,
                        Type.INT,
                        2_000,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        "Upper bound on the wait between two retries.")
                .define(
                        REQUEST_DEADLINE_MS,
                        Type.LONG,
                        30_000L,
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        "Upper bound on one registry call including all its retries and waits (modelpool's key; "
                                + "Confluent's client has no equivalent).")
                .define(
                        MAX_SCHEMAS_PER_SUBJECT,
                        Type.INT,
                        1_000,
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        "Capacity of each of the client's caches (schemas by id, ids by subject and schema, versions), "
                                + "least recently used entries evicted first.")
                .define(
                        LATEST_CACHE_TTL_SEC,
                        Type.LONG,
                        -1L,
                        ConfigDef.Range.atLeast(-1),
                        Importance.LOW,
                        "How long the latest version of a subject is cached, in seconds; -1 caches it until the client "
                                + "is closed, 0 asks the registry every time.")
                .define(
                        MISSING_ID_CACHE_TTL_SEC,
                        Type.LONG,
                        60L,
                        ConfigDef.Range.between(0, 86_400),
                        Importance.LOW,
                        "How long a schema id the registry answered as not found (error 40403) is answered as unknown without "
                                + "asking again, in seconds, so a flood of records with unknown ids costs one registry call per "
                                + "distinct id and TTL; a schema registered under that id later is seen once the entry expires. "
                                + "0 turns the negative cache off. Confluent's key; its default is 0.")
                .define(
                        MISSING_CACHE_SIZE,
                        Type.INT,
                        10_000,
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        "Most unknown schema ids remembered at once (see " + MISSING_ID_CACHE_TTL_SEC
                                + "); beyond it the "
                                + "entries least likely to be asked for again are dropped. Confluent's key and default.");
    }
}
