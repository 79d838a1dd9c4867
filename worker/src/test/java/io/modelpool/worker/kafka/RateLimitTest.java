package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The GCRA rate limit on a manual clock: bursts, the steady rate, and no credit saved beyond the burst. */
class RateLimitTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void aBurstGoesAtOnceAndEachLaterPermitWaitsOneIntervalMore() {
        RateLimit limit = new RateLimit(10, 3, now::get);

        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isEqualTo(ms(100));
        assertThat(limit.reserve()).isEqualTo(ms(200));
    }

    @Test
    void overTimeNoMoreThanTheBurstPlusTheRateIsHandedOutAtOnce() {
        RateLimit limit = new RateLimit(100, 10, now::get);
        int immediate = 0;
        for (int tick = 0; tick < 1_000; tick++) { // one second in 1 ms ticks, asking 5 times a tick
            for (int i = 0; i < 5; i++) {
                long wait = limit.reserve();
                if (wait == 0) {
                    immediate++;
                }
            }
            now.addAndGet(ms(1));
        }

        assertThat(immediate).as("permits without waiting in one second").isBetween(10, 10 + 100);
    }

    @Test
    void aQuietSpellRestoresTheBurstButNeverMore() {
        RateLimit limit = new RateLimit(10, 2, now::get);
        limit.reserve();
        limit.reserve();
        assertThat(limit.reserve()).isPositive();

        now.addAndGet(TimeUnit.SECONDS.toNanos(60));

        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve())
                .as("a minute of quiet does not save 600 permits")
                .isEqualTo(ms(100));
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThatThrownBy(() -> new RateLimit(0, 1, now::get)).hasMessageContaining("rate");
        assertThatThrownBy(() -> new RateLimit(1, 0, now::get)).hasMessageContaining("burst");
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
