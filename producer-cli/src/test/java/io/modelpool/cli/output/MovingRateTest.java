package io.modelpool.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MovingRateTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theStartUpBeforeTheFirstResultDoesNotCountSoTheFirstEtaIsSane() {
        MovingRate rate = MovingRate.standard();
        // 20 s of start-up (broker, model load) with nothing done, sampled four times a second
        for (long t = 0; t <= 20 * SECOND; t += SECOND / 4) {
            rate.sample(t, 0);
        }
        assertThat(rate.perSecond()).as("nothing done yet: unknown, not zero").isEmpty();
        // then 100 inputs a second for two seconds
        for (long t = 20 * SECOND + SECOND / 4, n = 25; t <= 22 * SECOND; t += SECOND / 4, n += 25) {
            rate.sample(t, n);
        }

        assertThat(rate.perSecond().getAsDouble()).isCloseTo(100.0, within(1.0));
        assertThat(rate.remaining(200, 2000))
                .hasValueSatisfying(eta -> assertThat(eta.toMillis()).isBetween(17_500L, 18_500L));
    }

    @Test
    void theRateFollowsAChangeOfPaceWithinTheWindow() {
        MovingRate rate = new MovingRate(Duration.ofSeconds(10), Duration.ofMillis(500));
        long n = 0;
        for (long t = 0; t <= 60 * SECOND; t += SECOND) {
            rate.sample(t, n);
            n += 10;
        }
        assertThat(rate.perSecond().getAsDouble()).isCloseTo(10.0, within(0.1));
        for (long t = 61 * SECOND; t <= 80 * SECOND; t += SECOND) {
            n += 100;
            rate.sample(t, n);
        }
        assertThat(rate.perSecond().getAsDouble())
                .as("the mean since the start would still say about 40/s")
                .isCloseTo(100.0, within(0.1));
    }

    @Test
    void aStalledJobHasNoEta() {
        MovingRate rate = new MovingRate(Duration.ofSeconds(10), Duration.ofMillis(500));
        rate.sample(0, 0);
        rate.sample(SECOND, 50);
        for (long t = 2 * SECOND; t <= 30 * SECOND; t += SECOND) {
            rate.sample(t, 50);
        }
        assertThat(rate.remaining(50, 100)).isEmpty();
    }

    @Test
    void thePlainLineSaysCountPercentRateAndEta() {
        MovingRate rate = MovingRate.standard();
        rate.sample(0, 0);
        rate.sample(2 * SECOND, 500);

        assertThat(Progress.line("embed job-1", 500, 2000, rate, "3 failed"))
                .isEqualTo("embed job-1: 500/2000 inputs (25%), 250.0 inputs/s, ETA 0:00:06, 3 failed");
    }
}
