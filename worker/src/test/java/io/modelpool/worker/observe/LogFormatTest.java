package io.modelpool.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogFormatTest {

    private final List<String> warnings = new ArrayList<>();

    @Test
    void logfmtIsTheDefault() {
        assertThat(LogFormat.choose(null, warnings::add)).isEqualTo("logfmt");
        assertThat(LogFormat.choose("  ", warnings::add)).isEqualTo("logfmt");
        assertThat(warnings).isEmpty();
    }

    @Test
    void eachAllowedFormatIsTakenWhateverItsCase() {
        assertThat(LogFormat.choose("JSON", warnings::add)).isEqualTo("json");
        assertThat(LogFormat.choose(" text ", warnings::add)).isEqualTo("text");
        assertThat(LogFormat.choose("logfmt", warnings::add)).isEqualTo("logfmt");
        assertThat(warnings).isEmpty();
    }

    @Test
    void anUnknownFormatFallsBackToLogfmtAndSaysWhatIsAllowed() {
        assertThat(LogFormat.choose("yaml", warnings::add)).isEqualTo("logfmt");
        assertThat(warnings)
                .singleElement()
                .asString()
                .contains("MODELPOOL_LOG_FORMAT = 'yaml'")
                .contains("logfmt|json|text");
    }
}
