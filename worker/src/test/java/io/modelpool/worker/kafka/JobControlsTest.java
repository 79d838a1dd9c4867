package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.serde.AvroSerdeConfig;
import io.modelpool.worker.pool.Withdrawal;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.junit.jupiter.api.Test;

/** What a worker makes of cancels and completion windows, and how long it remembers them; no broker involved. */
class JobControlsTest {

    private static final Duration RETENTION = Duration.ofHours(1);
    private static final long T0 = 1_767_268_800_000L;

    private final JobControls controls = new JobControls(
            new JobControls.Settings(
                    "p",
                    "w",
                    "unused:9092",
                    Map.of(),
                    Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "http://unused:8081"),
                    RETENTION),
            new MockConsumer<>("earliest"),
            Clock.systemUTC());

    @Test
    void requestsOfAJobWithNoWordAreWanted() {
        assertThat(controls.reason("j", T0)).isNull();
        assertThat(controls.size()).isZero();
    }

    @Test
    void aCancelledJobsRequestsAreWithdrawnAsCancelledNamingTheJobAndWhoAsked() {
        controls.cancelled("j", T0, "me@host");

        Withdrawal.Reason why = controls.reason("j", T0 + 5);

        assertThat(why.kind()).isEqualTo(Withdrawal.Kind.CANCELLED);
        assertThat(why.message()).contains("job j was cancelled", "me@host");
        assertThat(controls.reason("other", T0 + 5)).isNull();
    }

    @Test
    void aJobsRequestsExpireWhenItsWindowClosesAndACancelWinsOverTheWindow() {
        controls.expiresAt("j", T0 + 1_000);

        assertThat(controls.reason("j", T0 + 999)).isNull();
        assertThat(controls.reason("j", T0 + 1_000).kind()).isEqualTo(Withdrawal.Kind.EXPIRED);
        assertThat(controls.reason("j", T0 + 1_000).message()).contains("completion window of job j");

        controls.cancelled("j", T0 + 2_000, "me@host");
        assertThat(controls.reason("j", T0 + 3_000).kind()).isEqualTo(Withdrawal.Kind.CANCELLED);
    }

    @Test
    void theFirstCancelCountsAndARepeatedRegistrationKeepsIt() {
        controls.cancelled("j", T0, "first@host");
        controls.cancelled("j", T0 + 10, "second@host");
        controls.expiresAt("j", T0 + 100_000);

        assertThat(controls.reason("j", T0 + 20).message()).contains("first@host");
    }

    @Test
    void jobsAreForgottenARetentionAfterTheirCancelOrWindowSoTheMapDoesNotGrowForever() {
        controls.cancelled("cancelled", T0, "me@host");
        controls.expiresAt("windowed", T0 + Duration.ofMinutes(30).toMillis());

        controls.prune(T0 + RETENTION.toMillis() - 1);
        assertThat(controls.size()).isEqualTo(2);
        controls.prune(T0 + RETENTION.toMillis());
        assertThat(controls.reason("cancelled", T0 + RETENTION.toMillis())).isNull();
        assertThat(controls.size()).isEqualTo(1);
        controls.prune(T0 + Duration.ofMinutes(30).plus(RETENTION).toMillis());
        assertThat(controls.size()).isZero();
    }
}
