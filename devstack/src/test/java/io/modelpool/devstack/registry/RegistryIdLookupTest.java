package io.modelpool.devstack.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Lookups by schema id: a known id is answered from memory, unknown ids share catch-ups of the store, and an id
 * registered through another instance is found by the first lookup after the registration.
 */
class RegistryIdLookupTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static String bootstrapServers;

    @BeforeAll
    static void sharedBroker() {
        bootstrapServers = SharedDevStack.get().bootstrapServers();
    }

    private static String topic(TestInfo test) {
        return "_schemas-" + test.getTestMethod().orElseThrow().getName();
    }

    @Test
    void concurrentLookupsOfUnknownIdsAreEachAnsweredNotFoundAndShareCatchUps(TestInfo test) throws Exception {
        int lookups = 32;
        try (RegistryService registry = new RegistryService(bootstrapServers, topic(test), TIMEOUT)) {
            ExecutorService clients = Executors.newFixedThreadPool(lookups);
            try {
                long catchUpsBefore = registry.idCatchUps();
                List<Future<RegistryException>> answers = registry.whileStoreBusy(() -> {
                    // The store is busy, so the first round's catch-up waits on its lock while every lookup joins.
                    List<Future<RegistryException>> pending = new ArrayList<>();
                    for (int i = 0; i < lookups; i++) {
                        int id = 100_000 + i;
                        pending.add(clients.submit(
                                () -> catchThrowableOfType(() -> registry.schema(id), RegistryException.class)));
                    }
                    await().atMost(Duration.ofSeconds(5)).until(() -> registry.idLookupsWaiting() == lookups);
                    return pending;
                });

                for (int i = 0; i < lookups; i++) {
                    RegistryException notFound = answers.get(i).get();
                    assertThat(notFound)
                            .as("lookup of unknown id %d", 100_000 + i)
                            .isNotNull();
                    assertThat(notFound.httpStatus()).isEqualTo(404);
                    assertThat(notFound.errorCode()).isEqualTo(40403);
                    assertThat(notFound).hasMessage("Schema " + (100_000 + i) + " not found");
                }
                // The round the first lookup started may have been taken before the others joined; every later
                // lookup joined the one round after it.
                assertThat(registry.idCatchUps() - catchUpsBefore)
                        .as("catch-ups for %d concurrent lookups", lookups)
                        .isBetween(1L, 2L);
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void anIdRegisteredThroughAnotherInstanceIsFoundByTheNextLookupAndThenAnsweredFromMemory(TestInfo test) {
        try (RegistryService writer = new RegistryService(bootstrapServers, topic(test), TIMEOUT);
                RegistryService reader = new RegistryService(bootstrapServers, topic(test), TIMEOUT)) {
            int id = writer.register("other-instance", Schemas.record("Written"));
            String canonical = RegistryService.parse(Schemas.record("Written")).toString();

            long catchUpsBefore = reader.idCatchUps();
            assertThat(reader.schema(id))
                    .as("read after another instance's write")
                    .isEqualTo(canonical);
            assertThat(reader.idCatchUps() - catchUpsBefore)
                    .as("the unknown id needed one catch-up")
                    .isEqualTo(1);

            assertThat(reader.schema(id)).isEqualTo(canonical);
            assertThat(writer.schema(id)).isEqualTo(canonical);
            assertThat(reader.idCatchUps() - catchUpsBefore)
                    .as("a known id needs none")
                    .isEqualTo(1);
            assertThat(writer.idCatchUps()).as("the writer knew its own id").isZero();
        }
    }

    @Test
    void anIdUnknownAfterItsCatchUpIsNotFoundAndTheRegistryStaysUsable(TestInfo test) {
        try (RegistryService registry = new RegistryService(bootstrapServers, topic(test), TIMEOUT)) {
            RegistryException notFound = catchThrowableOfType(() -> registry.schema(12345), RegistryException.class);
            assertThat(notFound).hasMessage("Schema 12345 not found");
            assertThat(notFound.errorCode()).isEqualTo(40403);

            int id = registry.register("after-a-miss", Schemas.record("AfterMiss"));
            assertThat(registry.schema(id))
                    .isEqualTo(
                            RegistryService.parse(Schemas.record("AfterMiss")).toString());
        }
    }
}
