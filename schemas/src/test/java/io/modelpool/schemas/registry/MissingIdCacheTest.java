package io.modelpool.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.benmanes.caffeine.cache.Ticker;
import io.modelpool.schemas.testing.DevRegistry;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

/**
 * The client's negative cache of unknown schema ids ({@code missing.id.cache.ttl.sec}, {@code missing.cache.size})
 * against the devstack's real registry, with a manual clock for expiry. The registry hands out ids as the highest
 * so far plus one, so a test can ask for an id before a schema is registered under it.
 */
class MissingIdCacheTest {

    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;

    @Test
    void anUnknownIdIsAnsweredFromTheCacheUntilItsTtlThenASchemaRegisteredLaterIsSeen() {
        try (RestSchemaRegistryClient client = client(60, 100);
                SchemaRegistryClient writer = DevRegistry.client()) {
            Registered later = registerUnderAnIdAskedForFirst(client, writer);

            RegistryErrorException remembered =
                    catchThrowableOfType(RegistryErrorException.class, () -> client.schemaById(later.id()));
            assertThat(remembered.errorCode())
                    .as("the registry now has the id, the cache still says unknown")
                    .isEqualTo(RegistryErrorException.SCHEMA_NOT_FOUND);
            assertThat(remembered).hasMessageContaining("remembered for up to 60 s");
            assertThat(client.answersFromCache(later.id())).isTrue();

            nanos.addAndGet(Duration.ofSeconds(61).toNanos());

            assertThat(client.answersFromCache(later.id())).as("expired").isFalse();
            assertThat(client.schemaById(later.id())).isEqualTo(later.schema());
            assertThat(client.answersFromCache(later.id()))
                    .as("now cached as found")
                    .isTrue();
        }
    }

    @Test
    void aZeroTtlAsksTheRegistryEveryTime() {
        try (RestSchemaRegistryClient client = client(0, 100);
                SchemaRegistryClient writer = DevRegistry.client()) {
            Registered later = registerUnderAnIdAskedForFirst(client, writer);

            assertThat(client.schemaById(later.id())).isEqualTo(later.schema());
        }
    }

    @Test
    void theCacheHoldsAtMostMissingCacheSizeIds() {
        try (RestSchemaRegistryClient client = client(60, 10)) {
            for (int i = 0; i < 50; i++) {
                int id = 1_500_000_000 + i;
                catchThrowableOfType(RegistryErrorException.class, () -> client.schemaById(id));
            }

            assertThat(client.missingIdsCached()).isBetween(1L, 10L);
        }
    }

    @Test
    void anAnswerThatIsNotTheRegistrysNotFoundIsNotRemembered() {
        try (RestSchemaRegistryClient client = client(60, 10)) {
            catchThrowableOfType(
                    RegistryErrorException.class, () -> client.version(DevRegistry.uniqueTopic("none"), 1));

            assertThat(client.missingIdsCached()).isZero();
        }
    }

    private RestSchemaRegistryClient client(long ttlSeconds, int size) {
        return new RestSchemaRegistryClient(
                new SchemaRegistryClientConfig(DevRegistry.config(
                        SchemaRegistryClientConfig.MISSING_ID_CACHE_TTL_SEC, ttlSeconds,
                        SchemaRegistryClientConfig.MISSING_CACHE_SIZE, size)),
                ticker);
    }

    private record Registered(int id, Schema schema) {}

    /**
     * Asks {@code reader} for the next id the registry will hand out (unknown now), then registers a new schema,
     * which gets that id unless another test registered one in between; then it tries again.
     */
    private static Registered registerUnderAnIdAskedForFirst(SchemaRegistryClient reader, SchemaRegistryClient writer) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int highest = writer.register(DevRegistry.uniqueTopic("probe") + "-value", unique());
            RegistryErrorException unknown =
                    catchThrowableOfType(RegistryErrorException.class, () -> reader.schemaById(highest + 1));
            assertThat(unknown.errorCode()).isEqualTo(RegistryErrorException.SCHEMA_NOT_FOUND);
            Schema schema = unique();
            int id = writer.register(DevRegistry.uniqueTopic("later") + "-value", schema);
            if (id == highest + 1) {
                return new Registered(id, schema);
            }
        }
        throw new AssertionError("other tests kept registering schemas in between; no id could be predicted");
    }

    private static Schema unique() {
        return SchemaBuilder.record("R" + UUID.randomUUID().toString().replace("-", ""))
                .namespace("test.missing")
                .fields()
                .requiredString("text")
                .endRecord();
    }
}
