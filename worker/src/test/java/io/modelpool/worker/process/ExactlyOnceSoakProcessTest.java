package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.worker.config.WorkerConfig;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The full-size crash runs: 10 SIGKILLs at random moments during a 20,000-request job, restarting the
 * worker each time, once per guarantee. Tagged {@code fleet} (out of the default run) for its length; run it with
 * {@code ./mvnw -pl worker -am verify -Pfleet -Dtest=ExactlyOnceSoakProcessTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 * {@link ExactlyOnceProcessTest} runs the same scenario, smaller, by default.
 */
@Tag("fleet")
class ExactlyOnceSoakProcessTest {

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void exactlyOnceSurvivesTenSigkillsDuringATwentyThousandRequestJobWithNoMissingAndNoDuplicateResult() {
        SigkillScenario.Outcome o = SigkillScenario.run("eos-soak", WorkerConfig.EXACTLY_ONCE, 20_000, 10, 11);
        ExactlyOnceProcessTest.report(o, WorkerConfig.EXACTLY_ONCE);
        assertThat(o.missing()).as("requests without a committed result").isEmpty();
        assertThat(o.duplicates())
                .as("committed results beyond the first per request")
                .isZero();
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void atLeastOnceSurvivesTenSigkillsDuringATwentyThousandRequestJobWithNoMissingResult() {
        SigkillScenario.Outcome o = SigkillScenario.run("alo-soak", WorkerConfig.AT_LEAST_ONCE, 20_000, 10, 11);
        ExactlyOnceProcessTest.report(o, WorkerConfig.AT_LEAST_ONCE);
        assertThat(o.missing()).as("requests without a result").isEmpty();
    }
}
