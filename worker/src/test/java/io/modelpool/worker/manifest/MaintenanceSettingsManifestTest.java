package io.modelpool.worker.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The manifest's pool-maintenance settings: worker bounds, idle unload and size factor, with their defaults. */
class MaintenanceSettingsManifestTest {

    private static ModelDefinition parse(String settings) {
        return ManifestLoader.parse("""
                models:
                  - key: mini
                    capability: text-embedding
                    family: encoder-embedding
                    source: classpath:all-minilm-l6-v2-q.onnx
                    tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
                """ + settings, "test").models().get(0);
    }

    @Test
    void anEntryWithoutTheNewSettingsKeepsExactlyItsWorkersAndTheDefaults() {
        ModelDefinition m = parse("    workers: 3\n");

        assertThat(m.minWorkers()).isEqualTo(3);
        assertThat(m.maxWorkers()).isEqualTo(3);
        assertThat(m.idleUnload()).isNull();
        assertThat(m.sizeFactor()).isEqualTo(ModelDefinition.DEFAULT_SIZE_FACTOR);
        assertThat(ManifestLoader.loadDefault().models()).allSatisfy(d -> {
            assertThat(d.minWorkers()).isEqualTo(d.workers());
            assertThat(d.maxWorkers()).isEqualTo(d.workers());
        });
    }

    @Test
    void workerBoundsIdleUnloadAndSizeFactorAreRead() {
        ModelDefinition m =
                parse("    min-workers: 1\n    max-workers: 4\n    idle-unload: 5m\n    size-factor: 1.5\n");

        assertThat(m.workers()).isEqualTo(2);
        assertThat(m.minWorkers()).isEqualTo(1);
        assertThat(m.maxWorkers()).isEqualTo(4);
        assertThat(Durations.parse(m.idleUnload()).toMinutes()).isEqualTo(5);
        assertThat(m.sizeFactor()).isEqualTo(1.5);
    }

    @Test
    void theDefaultWorkerCountFollowsBoundsThatExcludeIt() {
        assertThat(parse("    max-workers: 1\n").workers()).isEqualTo(1);
        assertThat(parse("    min-workers: 3\n").workers()).isEqualTo(3);
        assertThat(parse("    min-workers: 3\n").maxWorkers()).isEqualTo(3);
    }

    @Test
    void inconsistentBoundsABadSizeFactorAndABadIdleUnloadAreNamedTogether() {
        assertThatThrownBy(() -> parse("    workers: 5\n    min-workers: 1\n    max-workers: 4\n    size-factor: 0\n"
                        + "    idle-unload: soon\n"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("model 'mini': min-workers = 1, workers = 5, max-workers = 4 are invalid; "
                        + "allowed: min-workers <= workers <= max-workers")
                .hasMessageContaining("model 'mini': size-factor = 0.0 is invalid; allowed: a number > 0")
                .hasMessageContaining("model 'mini': idle-unload = 'soon' is not a duration");
        assertThatThrownBy(() -> parse("    min-workers: 0\n"))
                .hasMessageContaining("model 'mini': min-workers = 0 is invalid; allowed: >= 1");
    }
}
